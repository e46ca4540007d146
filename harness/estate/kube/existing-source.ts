import { networkInterfaces } from 'node:os';
import { EstateError, PrerequisiteError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import { kubeApi } from './api.ts';
import type { Cluster } from './cluster.ts';
import { containerMainPids } from './container-pids.ts';
import { writeRunKubeconfig } from './context.ts';

/**
 * This machine's IPv4 addresses, from `ip -4 addr` (every interface, also a bridge with no port up yet, which
 * the OS interface list leaves out while it has no carrier), with those the OS lists besides.
 */
export async function localAddresses(): Promise<Set<string>> {
  const out = new Set<string>();
  const r = await run('ip', ['-o', '-4', 'addr', 'show'], { check: false, timeoutMs: 10_000 });
  for (const m of r.stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)) if (m[1]) out.add(m[1]);
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4') out.add(a.address);
  return out;
}

/**
 * The node of an existing cluster the estate can live on: the estate's databases are pods on the node's network
 * at its InternalIP and their data is in host directories of the run, so the node must be this machine. Returns
 * the node's name and its InternalIP (an address of this machine: where the databases listen and where pods
 * reach the router).
 */
export function nodeOnThisMachine(
  nodes: { name: string; addresses: { type: string; address: string }[] }[],
  local: ReadonlySet<string>,
): { name: string; address: string } | undefined {
  for (const n of nodes) {
    const ip = n.addresses.find((a) => a.type === 'InternalIP' && local.has(a.address));
    if (ip) return { name: n.name, address: ip.address };
  }
  return undefined;
}

/**
 * An existing cluster's named context as the run's cluster. Nothing is started or stopped here: the namespace
 * (created, labelled and deleted by the estate) is all drillbook touches. The images must already be on the
 * node (`imagePullPolicy: Never`; a missing one fails the pod at once, naming the image).
 */
export async function useExistingContext(
  context: string,
  kubeconfigFile: string,
  env: NodeJS.ProcessEnv,
): Promise<Cluster> {
  const kubeconfig = await writeRunKubeconfig(context, env, kubeconfigFile);
  const api = await kubeApi(kubeconfig, context);
  let nodes;
  try {
    nodes = (await api.core.listNode()).items;
  } catch (e) {
    throw new EstateError(`context ${context}: cannot list the cluster's nodes: ${String(e)}`);
  }
  const node = nodeOnThisMachine(
    nodes.map((n) => ({ name: n.metadata?.name ?? '?', addresses: n.status?.addresses ?? [] })),
    await localAddresses(),
  );
  if (!node)
    throw new PrerequisiteError(
      `context ${context}: none of its nodes (${nodes.map((n) => n.metadata?.name).join(', ') || 'none'}) has an InternalIP of this machine`,
      'the kube estate keeps its databases on the node (host network, host directories): use a cluster whose node is this machine',
    );
  return {
    source: 'existing',
    kubeconfig,
    context,
    hostAddress: node.address,
    nodeAddress: node.address,
    dbNode: node.name,
    containerPid: (id) => containerMainPids(id)[0],
    loadImages: () => Promise.resolve([]),
    signalContainer(id, sig) {
      const pids = containerMainPids(id);
      if (!pids.length)
        return Promise.reject(
          new EstateError(`container ${id.slice(0, 12)}: no process of it on this machine`),
        );
      for (const pid of pids) process.kill(pid, sig);
      return Promise.resolve();
    },
    pids: [],
    timings: {},
    stop: () => Promise.resolve([]),
    leftovers: () => Promise.resolve([]),
  };
}
