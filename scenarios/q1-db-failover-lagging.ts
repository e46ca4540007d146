/**
 * Q1 drill, the standby behind when the primary dies (asynchronous replication).
 *
 * Source: the seed runbook's DR scenario 1 ("Database failure: failover to standby"), its Q1 drill and the
 * plan-wide RPO of 1 hour; the fault is what DR scenario 1 leaves implicit, that the standby is rarely current
 * when a primary dies in a real incident (issue 15).
 * Fault: the replication link between the primary and the standby stalls for 1 s under steady traffic and canary
 * writes (the router's replication route holds the WAL stream: a degraded network between the sites, a WAL
 * sender stalled, a standby busy replaying), then kill -9 of the primary's postmaster. t_f is the kill.
 * Runbook exercised: the same failover blocks as q1-db-failover (failover-confirm-down, failover-fence,
 * failover-promote, failover-repoint, failover-verify).
 * Objectives: RTO 30 min, RPO 1 h (the plan's). The primary acknowledged commits the standby never received:
 * about 1 s of canary writes (50 at 50 writes/s) are lost, and the loss window (RPO) is the lag. That is within
 * the plan's hour, so the drill passes and the report names the loss; `q1-db-failover-lagging-sync` shows what
 * closing the window costs.
 */
import { q1DbFailover } from './q1-db-failover.ts';

export default q1DbFailover('async', { lag: '1s' });
