/**
 * Q1 drill, synchronous replication: the same failover as q1-db-failover, with the primary configured to wait
 * for the standby on every commit (synchronous_standby_names). No acknowledged write may be lost: the data
 * integrity criterion is the plan's "RPO 1 h" tightened to zero by configuration, and the report shows it.
 */
import { q1DbFailover } from './q1-db-failover.ts';

export default q1DbFailover('sync');
