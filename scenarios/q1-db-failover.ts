/**
 * Q1 drill: database failure, failover to standby.
 *
 * Source: the seed runbook's Disaster Recovery Plan (DR scenario 1, "Database failure: failover to standby";
 * quarterly drills, "Q1: Database failover (RTO < 30 min)"; plan-wide RPO 1 hour).
 * Fault: kill -9 of the primary's postmaster under steady traffic and canary writes.
 * Runbook: confirm the primary is down, fence it, promote the hot standby, repoint the database endpoint
 * (the router, standing in for a VIP or DNS switch), verify writes land on the new primary.
 * Objectives: RTO 30 min, RPO 1 h. With asynchronous replication (the default) a kill under load may lose a
 * few acknowledged writes, and the report lists exactly which; `q1-db-failover-sync` drills synchronous
 * replication, where none may be lost.
 */
import { defineDrill, type DrillDefinition } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Step } from '../harness/runbook/step.ts';
import { EstateError } from '../harness/core/errors.ts';
import type { Estate, PostgresRole } from '../harness/estate/types.ts';

function standbyOf(estate: Estate): PostgresRole {
  const s = estate.postgres.standby;
  if (!s) throw new EstateError('this drill needs a standby, and the estate has none');
  return s;
}

export function q1DbFailover(replication: 'async' | 'sync'): DrillDefinition {
  const sync = replication === 'sync';
  return defineDrill({
    id: sync ? 'q1-db-failover-sync' : 'q1-db-failover',
    title: `Database failure: failover to standby (${replication} replication)`,
    quarter: 'Q1',
    description:
      'The primary PostgreSQL server dies (kill -9 of the postmaster) under live traffic. The documented failover ' +
      'promotes the streaming standby and moves the database endpoint to it. Measures how long clients could not ' +
      `be served (RTO) and which acknowledged writes were lost (RPO) with ${replication} replication.`,
    runbookSection: 'Disaster Recovery Plan > DR scenarios > 1. Database failure: failover to standby',
    // Synchronous replication promises that no acknowledged write is lost: the RPO objective becomes zero.
    objectives: { rto: '30m', rpo: sync ? '0ms' : '1h' },
    estate: { postgres: { standby: true, replication }, redis: false, app: { version: 'v1' } },
    fault: (estate) => Fault.kill(estate.postgres.primary),
    procedure: (estate) => {
      const standby = standbyOf(estate);
      return [
        Step.confirmDown(estate.postgres.primary),
        Step.fence(estate.postgres.primary),
        Step.promote(standby),
        Step.repoint('db', standby),
        Step.verifyWrites(standby),
      ];
    },
  });
}

export default q1DbFailover('async');
