import { UsageError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import type { Cluster } from './cluster.ts';
import { containerMainPids } from './container-pids.ts';
import { localAddresses } from './existing-source.ts';
import { NODE_NAME, OfflineCluster } from './offline-cluster.ts';

/** The variable that moves the offline node's database address off loopback. */
export const NODE_ADDRESS_VAR = 'DRILL_KUBE_NODE_ADDRESS';

/**
 * The address the offline node's database pods listen on: 127.0.0.1, or `DRILL_KUBE_NODE_ADDRESS` when it names
 * an IPv4 address of this machine (the node is this machine: its host network is ours). Anything else is a usage
 * error, before the cluster starts.
 */
export function offlineNodeAddress(env: NodeJS.ProcessEnv, local: ReadonlySet<string>): string {
  const v = env[NODE_ADDRESS_VAR];
  if (v === undefined || v === '') return '127.0.0.1';
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(v) || !local.has(v))
    throw new UsageError(
      `${NODE_ADDRESS_VAR}=${v}: not an IPv4 address of this machine (${[...local].sort().join(', ')})`,
    );
  return v;
}

/** Start the offline cluster for a run (see `OfflineCluster`), as a `Cluster`. */
export async function startOfflineCluster(
  runId: string,
  drillId: string,
  env: NodeJS.ProcessEnv,
  startTimeoutMs: number,
): Promise<Cluster> {
  const nodeAddress = offlineNodeAddress(env, await localAddresses());
  const c = new OfflineCluster(runId, drillId, env, startTimeoutMs);
  try {
    await c.start();
  } catch (e) {
    await c.stop().catch(() => undefined);
    throw e;
  }
  return {
    source: 'offline',
    kubeconfig: c.kubeconfig,
    hostAddress: c.gateway,
    nodeAddress,
    dbNode: NODE_NAME,
    containerPid: (id) => containerMainPids(id)[0],
    loadImages: (refs) => c.engine.loadImages(refs, env),
    async signalContainer(id, sig) {
      await run('docker', ['--host', c.engine.host, 'kill', '--signal', sig.replace(/^SIG/, ''), id], {
        check: false,
        timeoutMs: 10_000,
      });
    },
    get pids() {
      return c.pids;
    },
    timings: c.timings,
    stop: () => c.stop(),
    leftovers: () => c.leftovers(),
  };
}
