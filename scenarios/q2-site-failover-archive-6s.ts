/**
 * Q2 site failure with WAL shipped at most every 6 s (`archive_timeout = 6s`) instead of 2 s: the same drill
 * as q2-site-failover, run beside it to show the loss window moving with the shipping interval.
 */
import { q2SiteFailover } from './q2-site-failover.ts';

export default q2SiteFailover({ id: 'q2-site-failover-archive-6s', archiveTimeout: '6s' });
