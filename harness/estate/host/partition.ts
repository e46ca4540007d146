/**
 * A network partition of processes on this host: every packet to their ports on the loopback interface
 * dropped by the kernel (iptables), while the processes keep running. It is the local backend's stand-in for
 * a site cut off its network: clients, the router (global DNS / the load balancer) and the DR site lose the
 * route to the site's ports, connections already open hang as they would across a dead link, and nothing is
 * refused (a refused connection would tell the other side the processes are gone). The processes of the site
 * cannot reach each other through those ports either, as the containers of a docker site cut off its network
 * cannot.
 *
 * The rules carry a comment naming the run, so healing removes exactly them; needs root and iptables.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PrerequisiteError } from '../../core/errors.ts';
import type { SweepOptions } from '../backend.ts';
import type { SiteNetwork } from './sites.ts';

const run = promisify(execFile);

/** Why a partition cannot be made here, or undefined when it can. */
export async function partitionProblem(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'cutting a site off the network on the local backend needs root';
  try {
    await run('iptables', ['-w', '-S', 'INPUT']);
    return undefined;
  } catch (e) {
    return `iptables does not work here: ${(e as Error).message.split('\n')[0] ?? ''}`;
  }
}

/** The rules that cut `ports` off, commented `comment`: added by `partition`, removed by `heal`. */
export function loopbackPartition(ports: readonly number[], comment: string): SiteNetwork {
  const rule = (port: number) => [
    'INPUT',
    '-i',
    'lo',
    '-p',
    'tcp',
    '--dport',
    String(port),
    '-m',
    'comment',
    '--comment',
    comment,
    '-j',
    'DROP',
  ];
  return {
    async partition() {
      const problem = await partitionProblem();
      if (problem) throw new PrerequisiteError(problem, 'run the drill as root on a machine with iptables');
      await Promise.all(ports.map((p) => run('iptables', ['-w', '-I', ...rule(p)])));
    },
    async heal() {
      await Promise.all(ports.map((p) => deleteAll(rule(p))));
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

const RULE = /^-A (INPUT .*--comment "?drillbook-(\d{8}T\d{6}Z-[0-9a-f]+)-([a-z0-9-]+)"? .*)$/;

/** Partition rules still in the kernel, with the run and drill they belong to (none where iptables is absent). */
async function partitionRules(): Promise<{ spec: string[]; runId: string; drillId: string; text: string }[]> {
  if (process.getuid?.() !== 0) return [];
  let stdout: string;
  try {
    ({ stdout } = await run('iptables', ['-w', '-S', 'INPUT']));
  } catch {
    return [];
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
