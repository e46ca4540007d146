/**
 * Q1 drill: database failure, failover to standby.
 *
 * Source: the seed runbook's Disaster Recovery Plan (DR scenario 1, "Database failure: failover to standby";
 * quarterly drills, "Q1: Database failover (RTO < 30 min)"; plan-wide RPO 1 hour).
 * Fault: kill -9 of the primary's postmaster under steady traffic and canary writes.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, "DR scenario 1", its blocks failover-confirm-down,
 * failover-fence, failover-promote (`SELECT pg_promote()` through psql), failover-repoint (the database
 * endpoint moved through the infrastructure API, standing in for a VIP or DNS switch) and failover-verify.
 * `--runbook` swaps in another document with the same block ids.
 * Objectives: RTO 30 min, RPO 1 h. With asynchronous replication (the default) a kill under load may lose a
 * few acknowledged writes, and the report lists exactly which; `q1-db-failover-sync` drills synchronous
 * replication, where none may be lost.
 */
import type { DurationString } from '../harness/core/duration.ts';
import { defineDrill, type DrillDefinition } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb } from './shared.ts';

/** The blocks of "DR scenario 1", in the order an operator runs them. */
const FAILOVER_BLOCKS = [
  'failover-confirm-down',
  'failover-fence',
  'failover-promote',
  'failover-repoint',
  'failover-verify',
];

/**
 * The Q1 failover drill. `lag` first stalls the replication link between the primary and the standby for that
 * long while the primary keeps serving (`Fault.lagReplication`), then the primary dies: t_f is the kill.
 */
export function q1DbFailover(
  replication: 'async' | 'sync',
  opts: { lag?: DurationString } = {},
): DrillDefinition {
  const sync = replication === 'sync';
  const { lag } = opts;
  return defineDrill({
    id: `q1-db-failover${lag ? '-lagging' : ''}${sync ? '-sync' : ''}`,
    title: `Database failure${lag ? ` after ${lag} of replication lag` : ''}: failover to standby (${replication} replication)`,
    quarter: 'Q1',
    description:
      (lag
        ? `The replication link between the primary and the standby stalls for ${lag} under live traffic (a degraded ` +
          'network between the sites), then the primary PostgreSQL server dies (kill -9 of the postmaster). '
        : 'The primary PostgreSQL server dies (kill -9 of the postmaster) under live traffic. ') +
      'The documented failover promotes the streaming standby and moves the database endpoint to it. Measures how ' +
      `long clients could not be served (RTO) and which acknowledged writes were lost (RPO) with ${replication} ` +
      'replication' +
      (lag
        ? sync
          ? ', and what synchronous replication cost while the standby lagged (writes that waited, the commit stall).'
          : ': the acknowledged writes the standby never received are lost, over a window as long as the lag.'
        : '.'),
    runbookSection: 'Disaster Recovery Plan > DR scenario 1: Database failure, failover to standby',
    runbookDoc: rb,
    runbookBlocks: FAILOVER_BLOCKS,
    // Synchronous replication promises that no acknowledged write is lost: the RPO objective becomes zero.
    objectives: { rto: '30m', rpo: sync ? '0ms' : '1h' },
    estate: { postgres: { standby: true, replication }, redis: false, app: { version: 'v1' } },
    // With --alerts: the failover takes the database away for far less than the rules' `for` (1 m), and the app
    // itself never goes down: ServiceDown and the pool alert may go pending but must page nobody
    // (docs/monitoring.md). A lagging variant is only watched: a synchronous commit held by the lag keeps pool
    // connections busy for as long as the lag lasts, which may rightly page.
    ...(lag
      ? {}
      : {
          alerts: {
            expect: [],
            mustNotPage: ['ServiceDown', 'DatabaseConnectionPoolExhausted'],
            // At 1/10 a failover of a few seconds stands for well under the `for` (at 1/40 three seconds are 2 min).
            timeScale: 10,
          },
        }),
    fault: (estate) =>
      lag
        ? Fault.after(Fault.lagReplication(estate, lag), Fault.kill(estate.postgres.primary))
        : Fault.kill(estate.postgres.primary),
    procedure: (estate) => {
      const primary = estate.postgres.primary.name;
      const standby = estate.postgres.standby?.name ?? 'the standby';
      return [
        Step.block('failover-confirm-down', { name: `confirm ${primary} is down` }),
        Step.block('failover-fence', { name: `fence ${primary}` }),
        Step.block('failover-promote', {
          name: `promote ${standby}`,
          expect: { stdout: /promoted: accepts writes$/m },
        }),
        Step.block('failover-repoint', {
          name: `repoint db traffic to ${standby}`,
          expect: { stdout: new RegExp(`"to":"${standby}"`) },
        }),
        Step.block('failover-verify', {
          name: `verify writes land on ${standby}`,
          expect: { stdout: /^order \d+ acknowledged .* found on /m },
        }),
      ];
    },
  });
}

export default q1DbFailover('async');
