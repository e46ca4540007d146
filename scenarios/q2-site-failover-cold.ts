/** Q2 site failure with a cold DR site: the app there is installed but not started until the runbook starts it. */
import { q2SiteFailover } from './q2-site-failover.ts';

export default q2SiteFailover({ id: 'q2-site-failover-cold', drApp: 'cold' });
