/**
 * Benchmark: the offline Kubernetes cluster's start from cached binaries (`drill cluster build` has run), to
 * the node Ready, and its stop; each part's time as the cluster measures it.
 *
 *   npx tsx bench/cluster-up.ts [--runs N]      (default 3; as root)
 */
import { parseArgs } from 'node:util';
import { newRunId } from '../harness/core/session.ts';
import { OfflineCluster } from '../harness/estate/kube/offline-cluster.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`bench: --runs must be a positive integer, not '${values.runs}'`);
  process.exit(2);
}
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ups: number[] = [];
// The cluster's processes are detached and unreferenced: keep the loop alive while stopping them.
const alive = setInterval(() => undefined, 1000);
for (let i = 0; i < runs; i++) {
  const cluster = new OfflineCluster(newRunId(), 'cluster-up', process.env, 180_000);
  const t0 = performance.now();
  try {
    await cluster.start();
    const up = performance.now() - t0;
    ups.push(up);
    const t1 = performance.now();
    await cluster.stop();
    const parts = Object.entries(cluster.timings)
      .map(([k, v]) => `${k} ${s(v)}`)
      .join(', ');
    console.log(`run ${i + 1}: up ${s(up)} (${parts}); stop ${s(performance.now() - t1)}`);
  } catch (e) {
    await cluster.stop().catch(() => undefined);
    throw e;
  }
}
ups.sort((a, b) => a - b);
console.log(`median up: ${s(ups[Math.floor(ups.length / 2)] ?? 0)} over ${runs} runs`);
clearInterval(alive);
