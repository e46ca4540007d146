/** Finding and removing what a run left on the Docker engine, by the drillbook.run-id label. */
import type { SweepOptions } from '../backend.ts';
import { dockerode, engineProblem, labelledResources, requireEngine, sweep } from './engine.ts';

/** Every container, network and volume with this run's label still there after teardown: each is a leak. */
export async function findDockerLeaks(runId: string, drillId?: string): Promise<string[]> {
  const d = await requireEngine();
  const left = await labelledResources(d, runId, drillId);
  return [
    ...left.containers.map((c) => `container ${c.name} (${c.state}) still exists`),
    ...left.networks.map((n) => `network ${n.name} still exists`),
    ...left.volumes.map((v) => `volume ${v.name} still exists`),
  ];
}

/** Containers, networks and volumes labelled with a run id whose run is over (or any, with --force). */
export async function sweepDocker(opts: SweepOptions): Promise<number> {
  if (await engineProblem()) return 0;
  const d = await dockerode();
  const found = await labelledResources(d, opts.runId);
  const runs = new Set(
    [...found.containers, ...found.networks, ...found.volumes].map((r) => r.runId).filter((id) => id !== '?'),
  );
  let removed = 0;
  for (const runId of runs) {
    const items = [
      ...found.containers.filter((c) => c.runId === runId).map((c) => `container ${c.name}`),
      ...found.networks.filter((n) => n.runId === runId).map((n) => `network ${n.name}`),
      ...found.volumes.filter((v) => v.runId === runId).map((v) => `volume ${v.name}`),
    ];
    if (opts.active.has(runId) && !opts.force) {
      opts.log(`skip ${items.length} docker resources of run ${runId}: still in progress; --force to remove`);
      continue;
    }
    if (opts.ended && !opts.ended.has(runId) && !opts.runId && !opts.force) {
      opts.log(
        `skip ${items.length} docker resources of run ${runId}: no record shows that run is over (it may be in progress under another TMPDIR); drill cleanup --run ${runId} to remove them`,
      );
      continue;
    }
    if (opts.dryRun) for (const i of items) opts.log(`would remove ${i} (run ${runId})`);
    else for (const i of await sweep(d, [runId])) opts.log(`remove ${i} (run ${runId})`);
    removed += items.length;
  }
  return removed;
}
