/**
 * Q2 site failure as a partition: the primary site is cut off the network, alive, instead of killed (local:
 * the kernel drops every packet to its ports; docker: its containers disconnected from its network). The DR
 * site is activated by the same runbook blocks; then the old site comes back, and the split-brain check proves
 * that no write from a client still holding its addresses lands on it: the runbook's fence held.
 */
import { q2SiteFailover } from './q2-site-failover.ts';

export default q2SiteFailover({ id: 'q2-site-partition', siteLoss: 'partition' });
