/**
 * Q4: the full DR exercise, the plan end to end on one two-site estate, as one timeline.
 *
 * Source: the seed runbook's Disaster Recovery Plan, quarterly drills, "Q4: Full DR exercise"; its scenarios'
 * objectives (Q1 failover RTO < 30 min, Q2 site recovery RTO < 4 h, Q3 corruption recovery RPO < 1 h, plan-wide
 * RTO 4 h, RPO 1 h) and the "Rollback Procedures". The estate: q2-site-failover's two sites, with a streaming
 * standby at the primary site (`SitesTopology`). Stages, each a scenario's own fault, runbook blocks and
 * measurements, run on the estate as the earlier stages left it (docs/sites.md, "Q4: the full exercise"):
 *   1. q1-db-failover: the primary database dies; the primary site's standby is promoted (DR scenario 1); it
 *      ships its new timeline to the DR site;
 *   2. q2-site-failover: the whole primary site dies (the promoted standby with it); the DR site is activated
 *      from what was shipped there (DR scenario 2);
 *   3. q3-data-corruption at the DR site, while it serves: an UPDATE without WHERE on the DR database;
 *      point-in-time recovery onto a spare there, from a base backup of the DR database and the archive
 *      shipped there (DR scenario 3);
 *   4. q2-failback: the primary site is rebuilt from the DR site's restored database (a later timeline) and the
 *      business switches home;
 *   5. deploy-rollback: a bad release rolled out by the runbook and rolled back at home (Rollback Procedures).
 * Each stage is judged against its own objectives (the plan's, under the stage's id, or the config's), from
 * its own traffic and canaries; the plan verdict is every stage's. A stage that fails ends the exercise.
 */
import { defineDrill, type DrillDefinition } from '../harness/drill/define.ts';
import type { Topology } from '../harness/estate/types.ts';
import { drDatabaseRestored, drServes, standbyPromoted } from '../harness/estate/view.ts';
import { StepError } from '../harness/core/errors.ts';
import type { Step as ProcedureStep } from '../harness/runbook/step.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import failback, { FAILBACK_BLOCKS } from './q2-failback.ts';
import { q1DbFailover } from './q1-db-failover.ts';
import { q2SiteFailover, SITE_FAILOVER_BLOCKS } from './q2-site-failover.ts';
import { q3DataCorruption } from './q3-data-corruption.ts';
import deployRollback from './deploy-rollback.ts';
import { deploymentRunbook as rb } from './shared.ts';

/** Stage 2's scenario; its estate (WAL shipped every 2 s, warm DR app) is the exercise's, plus the site's standby. */
const siteLoss = q2SiteFailover();
const ESTATE: Topology = { ...siteLoss.estate, postgres: { standby: true, replication: 'async' } };

/** The spare server DR scenario 3 restores onto (q3-data-corruption's). */
const RESTORED = 'postgres-restored';

/**
 * Stage 1: Q1's failover as it is (its blocks, fault and objectives), against the primary site's standby. Once
 * promoted, the standby archives into the DR site's archive: stage 2's shipping is its.
 */
const dbFailover = q1DbFailover('async');

/** Stage 2: the site loss, at a site whose primary database is now the standby stage 1 promoted. */
const siteLossAfterFailover: DrillDefinition = { ...siteLoss, view: standbyPromoted };

/**
 * Stage 3: DR scenario 3 at the DR site while it serves. q3-data-corruption as it is, on the estate as the
 * activation left it: the DR database is the primary its blocks and its fault address (the marker rows, the
 * base backup, the UPDATE without WHERE), the spare is the DR site's, the archive is the one shipped there (with
 * the timelines of both promotions). Its marker rows and probe come from the config (`data.markers`), which must
 * hold on an estate that has already served traffic (the demo's: marker ids above what traffic writes, and a
 * read the cache does not answer).
 */
const q3 = q3DataCorruption();
const corruptionAtDr: DrillDefinition = {
  ...q3,
  title: 'Data corruption at the DR site: point-in-time recovery there, while it serves',
  view: drServes,
  procedure: (e, s) => [recoveryAt(), ...q3.procedure(e, s)],
};

/**
 * Which site the recovery runs at, as evidence: the database the clients' endpoint led to when it was corrupted
 * is the DR site's, and the spare the restore goes to is reserved there.
 */
function recoveryAt(): ProcedureStep {
  return {
    name: 'check: the corruption and its recovery are at the DR site',
    verifies: true,
    async run(ctx) {
      const dr = ctx.estate.sites?.dr;
      const serving = await ctx.estate.authoritative();
      if (!dr || serving.name !== dr.postgres.name)
        throw new StepError(`the database serving is ${serving.name}, not the DR site's`);
      const spare = await ctx.estate.spare(RESTORED);
      return {
        detail: `recovery at ${dr.name}: ${serving.name} corrupted, restored onto ${spare.name} (${spare.dataDir}) from its base backup and ${dr.walDir}`,
      };
    },
  };
}

/**
 * Stage 4: failback, from the DR site's database as stage 3 left it (the restored server, on a later timeline):
 * the rebuild and replication home, then the switch. Its preparation is only that (stage 2 was the loss and
 * the activation).
 */
const comingHome: DrillDefinition = {
  ...failback,
  view: (e) => drDatabaseRestored(e, RESTORED),
  // The replication block bounds its own waits (60 s for the stream, 20 s for Redis): under load (load average
  // 14) it once needed more than q2-failback's 30 s step deadline here, which cut it off without its own message.
  timeouts: { ...failback.timeouts, step: '90s' },
  prepare: (estate) => [
    Step.block('failback-rebuild-primary', {
      name: `rebuild ${estate.postgres.primary.name} from ${estate.sites?.dr.postgres.name ?? 'the DR database'}`,
      expect: { stdout: / rebuilt from the DR database by / },
    }),
    Step.block('failback-replicate', {
      name: `${estate.sites?.primary.name ?? 'the primary site'} back, replicating from ${estate.sites?.dr.name ?? 'the DR site'}`,
      expect: { stdout: / streaming from / },
    }),
  ],
};

/** Stage 5: the release rollback at home, deploy-rollback as it is (the runbook's own rollout of v2, judged, then v1). */
export const Q4_STAGES: readonly DrillDefinition[] = [
  dbFailover,
  siteLossAfterFailover,
  corruptionAtDr,
  comingHome,
  deployRollback,
];

export default defineDrill({
  id: 'q4-full-exercise',
  title:
    'Full DR exercise: database failover, site loss, corruption recovery at the DR site, failback and a release rollback on one estate',
  quarter: 'Q4',
  description:
    'The DR plan end to end on one two-site estate, one scenario after another as one timeline: the primary ' +
    'database dies and the standby at the primary site is promoted; the whole primary site dies and the DR site ' +
    'is activated from what was shipped there; an UPDATE without WHERE hits the DR database and is repaired ' +
    'there by point-in-time recovery; the primary site is rebuilt from the DR site and the business switches ' +
    'home; a bad release is rolled back. Each stage is measured from its own live traffic and canary writes ' +
    'and judged against its own objectives; the plan passes when every stage does.',
  runbookSection: 'Disaster Recovery Plan > Quarterly drills > Q4: Full DR exercise',
  runbookDoc: rb,
  runbookBlocks: [
    ...new Set(Q4_STAGES.flatMap((s) => s.runbookBlocks ?? [])),
    ...SITE_FAILOVER_BLOCKS,
    ...FAILBACK_BLOCKS,
  ],
  objectives: {},
  // Stage 3 restores onto a spare server of the two-site estate (at the DR site): a backend whose two-site
  // estate has none leaves the exercise out, naming that, rather than failing at stage 3.
  needs: [...new Set([...Q4_STAGES.flatMap((s) => s.needs), 'site-spare-postgres' as const])],
  uses: [...new Set(Q4_STAGES.flatMap((s) => s.uses ?? []))],
  estate: ESTATE,
  timeouts: { provision: '120s', drill: '10m' },
  procedure: () => [],
  stages: Q4_STAGES,
});
