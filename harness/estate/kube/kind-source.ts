/**
 * kind as the cluster source, where `kind` and a Docker engine are on the machine: a cluster per run from the
 * repo's `kind-config.yaml` with the run directory mounted into every node at the same path (a per-run config
 * written into the run directory), the estate's images loaded with `kind load docker-image`, the cluster
 * deleted at teardown. The database pods are pinned to one node (the first worker) and reached at that node
 * container's address on the `kind` network; the app's pods at their pod addresses, through host routes to
 * each node's pod range. Not exercised on this project's machines (no kind binary, and no registry for its node
 * image): the choice, the config and the command sequence are unit-tested (a stub `kind` on PATH), not run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { run } from '../../core/exec.ts';
import { EstateError } from '../../core/errors.ts';
import type { Cluster } from './cluster.ts';
import { writeKindRecord } from './kind-records.ts';

/** The repo's kind configuration. */
export const KIND_CONFIG = join(import.meta.dirname, '..', '..', '..', 'kind-config.yaml');

/** The kind cluster of a run: one per run, named after it (kind's names are DNS labels). */
export function kindClusterName(runId: string): string {
  return `drillbook-${runId.slice(-6).toLowerCase()}`;
}

interface KindNode {
  role?: string;
  extraMounts?: { hostPath: string; containerPath: string }[];
  [k: string]: unknown;
}

/**
 * The per-run kind config: the repo's (`base`, its YAML text) with each of `mounts` (host directories: the run
 * directory) bind-mounted into every node at the same path, so the pods' `hostPath` volumes and the files the
 * harness writes there are the same files on the node and here. The cluster's name comes from `--name`.
 */
export function kindConfigFor(base: string, mounts: readonly string[]): string {
  const cfg = parse(base) as { nodes?: KindNode[]; [k: string]: unknown };
  const nodes: KindNode[] = cfg.nodes?.length ? cfg.nodes : [{ role: 'control-plane' }];
  cfg.nodes = nodes.map((n) => ({
    ...n,
    extraMounts: [
      ...(n.extraMounts ?? []).filter((m) => !mounts.includes(m.containerPath)),
      ...mounts.map((p) => ({ hostPath: p, containerPath: p })),
    ],
  }));
  return `# drillbook: the repo's kind-config.yaml with the run directory mounted into every node\n${stringify(cfg)}`;
}

/** The node the database pods go on: the first worker, else the control plane (a cluster of one node). */
export function pickDbNode(nodes: readonly string[]): string | undefined {
  return nodes.find((n) => /-worker\d*$/.test(n)) ?? nodes.find((n) => /-control-plane$/.test(n)) ?? nodes[0];
}

/** The commands the kind source runs, as argument vectors. */
export function kindCommands(name: string, config: string, kubeconfig: string) {
  return {
    create: [
      'kind',
      'create',
      'cluster',
      '--name',
      name,
      '--config',
      config,
      '--kubeconfig',
      kubeconfig,
      '--wait',
      '120s',
    ],
    load: (image: string) => ['kind', 'load', 'docker-image', image, '--name', name],
    nodes: ['kind', 'get', 'nodes', '--name', name],
    /** A node container's address on the `kind` network: where this machine reaches its host network. */
    nodeAddress: (node: string) => [
      'docker',
      'inspect',
      '--format',
      '{{with index .NetworkSettings.Networks "kind"}}{{.IPAddress}}{{end}}',
      node,
    ],
    /** A node's pod range (kindnet gives each node one). */
    podCidr: (node: string) => [
      'kubectl',
      '--kubeconfig',
      kubeconfig,
      'get',
      'node',
      node,
      '--output',
      'jsonpath={.spec.podCIDR}',
    ],
    /** This machine's route to a node's pods, through the node container (the app's endpoints are pod IPs). */
    route: (cidr: string, via: string) => ['ip', 'route', 'replace', cidr, 'via', via],
    unroute: (cidr: string, via: string) => ['ip', 'route', 'del', cidr, 'via', via],
    /** A container's main pid as the node sees it (containerd, crictl). */
    pid: (node: string, id: string) => [
      'docker',
      'exec',
      node,
      'crictl',
      'inspect',
      '--output',
      'go-template',
      '--template',
      '{{.info.pid}}',
      id,
    ],
    /** kill -SIG of a container's main process, from the node container it runs on (containerd, crictl). */
    signal: (node: string, id: string, sig: string) => [
      'docker',
      'exec',
      node,
      'sh',
      '-c',
      'pid=$(crictl inspect --output go-template --template "{{.info.pid}}" "$1" 2> /dev/null) && kill -s "$2" "$pid"',
      'signal',
      id,
      sig,
    ],
    /** The Docker network's gateway: where the node containers reach the host (the router). */
    gateway: [
      'docker',
      'network',
      'inspect',
      'kind',
      '--format',
      '{{range .IPAM.Config}}{{.Gateway}} {{end}}',
    ],
    delete: ['kind', 'delete', 'cluster', '--name', name, '--kubeconfig', kubeconfig],
  };
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

async function exec(argv: string[], timeoutMs = 300_000): Promise<string> {
  const [file, ...args] = argv as [string, ...string[]];
  return (await run(file, args, { timeoutMs })).stdout.trim();
}

/**
 * Create the run's kind cluster, its config written into the run directory (`runDir`, mounted into every node);
 * `stop()` removes the routes and deletes the cluster.
 */
export async function startKindCluster(runId: string, runDir: string, kubeconfig: string): Promise<Cluster> {
  const name = kindClusterName(runId);
  const config = join(runDir, 'kind-config.yaml');
  writeFileSync(config, kindConfigFor(readFileSync(KIND_CONFIG, 'utf8'), [runDir]));
  const cmd = kindCommands(name, config, kubeconfig);
  const t = performance.now();
  let created = false;
  const routes: { cidr: string; via: string }[] = [];
  // Recorded before anything exists, so that `drill cleanup` finds the cluster of a run killed at any point.
  const record = () => writeKindRecord({ runId, name, routes });
  const forget = record();
  const stop = async () => {
    const done: string[] = [];
    for (const r of routes.splice(0)) {
      const [file, ...args] = cmd.unroute(r.cidr, r.via) as [string, ...string[]];
      await run(file, args, { check: false, timeoutMs: 10_000 });
      done.push(`removed route ${r.cidr} via ${r.via}`);
    }
    if (created) {
      await exec(cmd.delete);
      created = false;
      done.push(`deleted kind cluster ${name}`);
    }
    forget();
    return done;
  };
  try {
    created = true;
    await exec(cmd.create);
    const gateway = (await exec(cmd.gateway, 10_000)).split(/\s+/).find((a) => IPV4.test(a));
    if (!gateway) throw new EstateError('kind: the Docker network "kind" has no IPv4 gateway');
    const nodes = (await exec(cmd.nodes, 10_000)).split('\n').filter(Boolean);
    const addresses = new Map<string, string>();
    for (const node of nodes) {
      const ip = await exec(cmd.nodeAddress(node), 10_000);
      if (!IPV4.test(ip)) throw new EstateError(`kind: node ${node} has no address on the "kind" network`);
      addresses.set(node, ip);
      const cidr = await exec(cmd.podCidr(node), 30_000);
      if (cidr) {
        routes.push({ cidr, via: ip });
        record();
        await exec(cmd.route(cidr, ip), 10_000);
      }
    }
    const dbNode = pickDbNode(nodes);
    const nodeAddress = dbNode ? addresses.get(dbNode) : undefined;
    if (!dbNode || !nodeAddress) throw new EstateError(`kind: cluster ${name} has no node`);
    const timings = { total: Math.round(performance.now() - t) };
    return {
      source: 'kind',
      kubeconfig,
      hostAddress: gateway,
      nodeAddress,
      dbNode,
      containerPid(id) {
        for (const node of [dbNode, ...nodes.filter((n) => n !== dbNode)]) {
          const [file, ...args] = cmd.pid(node, id) as [string, ...string[]];
          try {
            const pid = Number(execFileSync(file, args, { encoding: 'utf8', timeout: 10_000 }).trim());
            if (pid > 0) return pid;
          } catch {
            // not on this node
          }
        }
        return undefined;
      },
      async loadImages(refs) {
        for (const r of refs) await exec(cmd.load(r));
        return [...refs];
      },
      async signalContainer(id, sig) {
        for (const node of nodes) {
          const [file, ...args] = cmd.signal(node, id, sig.replace(/^SIG/, '')) as [string, ...string[]];
          await run(file, args, { check: false, timeoutMs: 10_000 });
        }
      },
      pids: [],
      timings,
      stop,
      async leftovers() {
        const r = await run('kind', ['get', 'clusters'], { check: false, timeoutMs: 10_000 });
        return r.stdout.split('\n').includes(name) ? [`kind cluster ${name} still exists`] : [];
      },
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
