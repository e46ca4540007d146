/**
 * A network partition of processes on this host: every packet to their ports on the loopback interface
 * dropped by the kernel (iptables), while the processes keep running. It is the local backend's stand-in for
 * a site cut off its network: clients, the router (global DNS / the load balancer) and the DR site lose the
 * route to the site's ports, connections already open hang as they would across a dead link, and nothing is
 * refused (a refused connection would tell the other side the processes are gone). The processes of the site
 * cannot reach each other through those ports either, as the containers of a docker site cut off its network
 * cannot.
 *
 * The docker backend's cut adds rules in Docker's `DOCKER-USER` chain dropping every packet forwarded to or
 * from the site's containers' addresses (the router and the other containers reach them through the bridge,
 * which the kernel filters), and the loopback rules above for the ports they publish on this host.
 *
 * The rules carry a comment naming the run, so healing removes exactly them; needs root and iptables.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PrerequisiteError } from '../../core/errors.ts';
import type { SweepOptions } from '../backend.ts';
import type { SiteNetwork } from './sites.ts';

const run = promisify(execFile);

/**
 * Why a partition cannot be made here, or undefined when it can: root, and iptables with every chain named
 * (the docker backend's cut also needs Docker's `DOCKER-USER` chain, which the engine makes).
 */
export async function partitionProblem(chains: readonly Chain[] = ['INPUT']): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'cutting a site off the network needs root';
  for (const chain of chains) {
    try {
      await run('iptables', ['-w', '-S', chain]);
    } catch (e) {
      return `iptables does not work here (chain ${chain}): ${(e as Error).message.split('\n')[0] ?? ''}`;
    }
  }
  return undefined;
}

/** The chains a partition's rules go in: the host's input (loopback ports), Docker's forwarding hook. */
export type Chain = 'INPUT' | 'DOCKER-USER';
const CHAINS: readonly Chain[] = ['INPUT', 'DOCKER-USER'];

/** One packet filter of a partition: its chain and what it matches; the comment and DROP are added. */
export interface CutRule {
  chain: Chain;
  match: string[];
}

/** Every packet to this port on the loopback interface (a process of the site, or a port Docker publishes). */
export function loopbackPort(port: number): CutRule {
  return { chain: 'INPUT', match: ['-i', 'lo', '-p', 'tcp', '--dport', String(port)] };
}

/** The rules that cut `ports` off, commented `comment`: added by `partition`, removed by `heal`. */
export function loopbackPartition(ports: readonly number[], comment: string): SiteNetwork {
  return iptablesPartition(() => ports.map(loopbackPort), comment);
}

/**
 * A partition made of packet filters, each commented `comment` and dropping what it matches. The rules are
 * computed when the cut is made (a container's address is known only then) and remembered for the heal.
 */
export function iptablesPartition(rules: () => CutRule[] | Promise<CutRule[]>, comment: string): SiteNetwork {
  const spec = (r: CutRule) => [r.chain, ...r.match, '-m', 'comment', '--comment', comment, '-j', 'DROP'];
  let added: string[][] = [];
  return {
    async partition() {
      const cut = await rules();
      const problem = await partitionProblem([...new Set(cut.map((r) => r.chain))]);
      if (problem) throw new PrerequisiteError(problem, 'run the drill as root on a machine with iptables');
      const specs = cut.map(spec);
      added = [...added, ...specs];
      await Promise.all(specs.map((s) => run('iptables', ['-w', '-I', ...s])));
    },
    async heal() {
      const specs = added;
      await Promise.all(specs.map((s) => deleteAll(s)));
      added = [];
    },
  };
}

/** Delete every copy of the rule (a retried partition may have added it twice); none left is success. */
async function deleteAll(rule: string[]): Promise<void> {
  for (;;) {
    try {
      await run('iptables', ['-w', '-C', ...rule]);
    } catch {
      return;
    }
    await run('iptables', ['-w', '-D', ...rule]);
  }
}

/** The comment a run's partition rules carry. */
export function partitionComment(runId: string, drillId: string): string {
  return `drillbook-${runId}-${drillId}`;
}

const RULE =
  /^-A ((?:INPUT|DOCKER-USER) .*--comment "?drillbook-(\d{8}T\d{6}Z-[0-9a-f]+)-([a-z0-9-]+)"? .*)$/;

/** Partition rules still in the kernel, with the run and drill they belong to (none where iptables is absent). */
async function partitionRules(): Promise<{ spec: string[]; runId: string; drillId: string; text: string }[]> {
  if (process.getuid?.() !== 0) return [];
  let stdout = '';
  for (const chain of CHAINS) {
    try {
      stdout += (await run('iptables', ['-w', '-S', chain])).stdout;
    } catch {
      // No such chain here (no Docker engine): nothing of ours in it.
    }
  }
  return stdout.split('\n').flatMap((line) => {
    const m = RULE.exec(line.trim());
    if (!m?.[1] || !m[2] || !m[3]) return [];
    return [{ spec: m[1].replace(/"/g, '').split(/\s+/), runId: m[2], drillId: m[3], text: line.trim() }];
  });
}

/** The leak check: a run's partition rules still in the kernel after teardown. */
export async function partitionLeaks(runId: string, drillId?: string): Promise<string[]> {
  return (await partitionRules())
    .filter((r) => r.runId === runId && (drillId === undefined || r.drillId === drillId))
    .map((r) => `iptables rule still in place: ${r.text}`);
}

/** `drill cleanup`: remove the partition rules of runs that are over (a kept estate's cut site). */
export async function sweepPartitions(opts: SweepOptions): Promise<number> {
  let removed = 0;
  for (const r of await partitionRules()) {
    if (opts.runId && r.runId !== opts.runId) continue;
    if (
      !opts.force &&
      (opts.active.has(r.runId) || (opts.ended && !opts.ended.has(r.runId) && !opts.runId))
    ) {
      opts.log(`skip iptables rule of run ${r.runId}: the run may still be in progress`);
      continue;
    }
    opts.log(`${opts.dryRun ? 'would remove' : 'remove'} iptables rule ${r.text} (run ${r.runId})`);
    if (!opts.dryRun) await deleteAll(r.spec);
    removed++;
  }
  return removed;
}
