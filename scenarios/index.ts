/**
 * The drill catalogue: every scenario file, in the order `drill list` shows them. A scenario is added by
 * writing its file and naming it here.
 */
import type { DrillDefinition } from '../harness/drill/define.ts';

export const SCENARIO_FILES = [
  'q1-db-failover.ts',
  'q1-db-failover-sync.ts',
  'q1-db-failover-lagging.ts',
  'q1-db-failover-lagging-sync.ts',
  'q2-site-failover.ts',
  'q2-site-failover-archive-6s.ts',
  'q2-site-failover-cold.ts',
  'q2-site-partition.ts',
  'q2-failback.ts',
  'q3-data-corruption.ts',
  'q4-full-exercise.ts',
  'backup-restore.ts',
  'backup-verify.ts',
  'db-migration-rollback.ts',
  'deploy-rollback-docker.ts',
  'deploy-rollback.ts',
  'redis-failure.ts',
  'predeploy-checklist.ts',
  'maintenance-daily.ts',
  'maintenance-weekly.ts',
  'maintenance-monthly.ts',
  'alerts-fire.ts',
  'k8s-rollout-undo.ts',
  'k8s-pod-kill.ts',
  'q1-db-failover-k8s.ts',
] as const;

export async function loadScenarios(): Promise<DrillDefinition[]> {
  const out: DrillDefinition[] = [];
  for (const file of SCENARIO_FILES) {
    const mod = (await import(`./${file}`)) as { default: DrillDefinition };
    out.push({ ...mod.default, source: `scenarios/${file}` });
  }
  return out;
}
