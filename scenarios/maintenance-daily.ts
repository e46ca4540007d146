/**
 * The daily maintenance routine (seed runbook, Maintenance Operations > Daily: system health check, backup
 * verification; the maintenance script: health check, session cleanup, log cleanup, db analyze) on a live estate
 * under traffic, with zero client impact required. Runbook exercised: fixtures/runbook/deployment-runbook.md,
 * section 6 > Daily (maint-health, maint-session-cleanup, maint-log-compress, maint-analyze) and Daily backup
 * verification (backup-base, verify-backup). Each routine is verified after it ran: the idle session is gone,
 * no rotated log older than a day is left uncompressed, every table's last_analyze in pg_stat_user_tables is
 * recent, and the restored backup matches the primary's system.
 */
import { Step } from '../harness/runbook/steps/index.ts';
import { maintenanceDrill } from './maintenance.ts';

export default maintenanceDrill({
  id: 'maintenance-daily',
  title: 'Daily maintenance under traffic: health, sessions, logs, ANALYZE, backup verification',
  description:
    'The daily routine block by block on a live estate under traffic: health check, ending sessions idle in a ' +
    'transaction, compressing rotated logs, ANALYZE, and restoring the base backup into a scratch server; each ' +
    'verified, with no failed probe and no refused write.',
  section: 'Maintenance Operations > Daily',
  needs: ['spare-postgres'],
  blocks: [
    'backup-base',
    'maint-health',
    'maint-session-cleanup',
    'maint-log-compress',
    'maint-analyze',
    'verify-backup',
  ],
  prepare: () => [
    Step.block('backup-base', { expect: { stdout: /^base backup: / } }),
    Step.plantLogs(),
    Step.staleSession(),
  ],
  procedure: (e) => [
    Step.block('maint-health', { expect: { stdout: /^healthy: / } }),
    Step.block('maint-session-cleanup', {
      env: () => ({ SESSION_IDLE_LIMIT: '1 second' }),
      expect: { stdout: /^session cleanup: ended [1-9]\d* sessions/m },
    }),
    Step.check(
      'the forgotten session is gone',
      () => e.postgres.primary,
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'forgotten-console'",
      () => '0',
    ),
    Step.block('maint-log-compress', { expect: { stdout: /^log cleanup: compressed [1-9]/m } }),
    Step.block('maint-analyze', { expect: { stdout: /^analyzed: \d+ tables/m } }),
    Step.check(
      'every table analyzed in the last 5 minutes (pg_stat_user_tables)',
      () => e.postgres.primary,
      "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NULL OR last_analyze < now() - interval '5 minutes'",
      () => '0',
    ),
    Step.spare('postgres-scratch', 'SCRATCH'),
    Step.block('verify-backup', { expect: { stdout: /^rows in scratch copy: \d+$/m } }),
    Step.compare(
      'restored backup is the same database system',
      () => e.postgres.primary,
      () => e.spare('postgres-scratch'),
      'SELECT system_identifier::text FROM pg_control_system()',
    ),
  ],
});
