import { run } from '../../core/exec.ts';
import type { Cluster } from './cluster.ts';
import { OfflineCluster } from './offline-cluster.ts';

/** Start the offline cluster for a run (see `OfflineCluster`), as a `Cluster`. */
export async function startOfflineCluster(
  runId: string,
  drillId: string,
  env: NodeJS.ProcessEnv,
  startTimeoutMs: number,
): Promise<Cluster> {
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
