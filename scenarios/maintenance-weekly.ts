/**
 * The weekly maintenance routine (seed runbook, Maintenance Operations > Weekly: security update check,
 * performance report review, old log cleanup) on a live estate under traffic, with zero client impact required.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, section 6 > Weekly (maint-security-updates,
 * maint-performance-report, maint-old-logs). The security check reports what the database's system would
 * upgrade from the package lists it has and applies nothing; the performance report reads the service's own
 * metrics over a 3 s window of the drill's traffic; the log cleanup is verified by the ages of what is left.
 */
import { Step } from '../harness/runbook/steps/index.ts';
import { maintenanceDrill } from './maintenance.ts';

export default maintenanceDrill({
  id: 'maintenance-weekly',
  title: 'Weekly maintenance under traffic: security updates (reported), performance report, old logs',
  description:
    'The weekly routine on a live estate under traffic: what the package lists say would be upgraded (nothing ' +
    'applied), p50/p95/p99 and the error rate of the last window from the service’s metrics, and logs older ' +
    'than 14 days removed and verified by age; with no failed probe and no refused write.',
  section: 'Maintenance Operations > Weekly',
  blocks: ['maint-security-updates', 'maint-performance-report', 'maint-old-logs'],
  prepare: () => [Step.plantLogs()],
  procedure: () => [
    Step.block('maint-security-updates', { expect: { stdout: /^security updates: /m } }),
    Step.block('maint-performance-report', {
      env: () => ({ METRICS_WINDOW: '3' }),
      expect: { stdout: /^performance report: [1-9]\d* requests in 3 s, p50 .*, error rate \d+\.\d\d %$/m },
    }),
    Step.block('maint-old-logs', {
      expect: { stdout: /^old log cleanup: removed 2 logs older than 14 days/m },
    }),
    Step.logsAfterCleanup(14),
  ],
});
