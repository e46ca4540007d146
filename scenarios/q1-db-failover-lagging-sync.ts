/**
 * Q1 drill, the standby behind when the primary dies, with synchronous replication.
 *
 * Source: as q1-db-failover-lagging (DR scenario 1, issue 15), on the synchronous configuration of
 * q1-db-failover-sync (synchronous_standby_names names the standby).
 * Fault: the same 1 s stall of the replication link, then kill -9 of the primary. t_f is the kill.
 * Runbook exercised: the same failover blocks as q1-db-failover.
 * Objectives: RTO 30 min, RPO 0. A commit is acknowledged only once the standby has flushed it, so the stall
 * loses no acknowledged write; the price is paid by the writers instead: every commit made while the standby
 * lagged waited (or was refused), and the report shows how many and for how long (the commit stall).
 */
import { q1DbFailover } from './q1-db-failover.ts';

export default q1DbFailover('sync', { lag: '1s' });
