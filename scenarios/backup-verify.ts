/**
 * Daily backup verification: the seed runbook's Maintenance Operations ("Daily: backup verification") and its
 * backup strategy (daily full backup, hourly WAL). No fault: the drill proves that the latest base backup plus
 * the archived WAL restore into a scratch instance that matches the primary at a consistent point.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, "Base backup" and "Daily backup verification".
 * The consistent point is a named restore point created on the primary while canary writes continue. Canary
 * rows are compared up to a seq recorded before the restore point, less the writes that could still have been
 * in flight then (the write timeout's worth), since those may commit on either side of the point.
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import type { Estate } from '../harness/estate/types.ts';
import { deploymentRunbook as rb, recordConfigured, runConfigured, sqlOf } from './shared.ts';

const scratch = (e: Estate) => e.spare('postgres-scratch');
const primary = (e: Estate) => e.postgres.primary;
/** Canary writes that may still be in flight at the restore point: the write timeout (2 s) at 50 writes/s. */
const IN_FLIGHT_MARGIN = 100;

export default defineDrill({
  id: 'backup-verify',
  title: 'Daily backup verification: base backup + WAL restored into a scratch instance',
  quarter: 'Q3',
  description:
    'The latest base backup and the archived WAL are restored into a scratch instance up to a restore point ' +
    'created on the primary under live traffic; the scratch copy must match the primary at that point (same ' +
    'system, same seeded data, same canary rows).',
  runbookSection: 'Maintenance Operations > Daily > Backup verification',
  runbookDoc: rb,
  needs: ['spare-postgres'],
  runbookBlocks: ['backup-base', 'verify-backup'],
  uses: ['data.seed', 'data.fingerprint', 'data.canaryMaxSeq', 'data.canaryFingerprint'],
  objectives: {},
  estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
  prepare: (e, s) => [
    runConfigured('seed the data (data.seed)', s, 'data.seed', () => e.postgres.primary),
    Step.block('backup-base', { expect: { stdout: /^base backup: / } }),
  ],
  procedure: (_e, s) => [
    recordConfigured('CANARY_SEQ_BEFORE_POINT', s, 'data.canaryMaxSeq', primary),
    Step.spare('postgres-scratch', 'SCRATCH'),
    Step.block('verify-backup', { expect: { stdout: /^rows in scratch copy: \d+$/m } }),
    Step.compare(
      'same database system',
      primary,
      scratch,
      'SELECT system_identifier::text FROM pg_control_system()',
    ),
    Step.compare(
      'seeded data',
      primary,
      scratch,
      sqlOf(s, 'data.fingerprint'),
      undefined,
      undefined,
      'data.fingerprint',
    ),
    Step.compare(
      'canary rows before the restore point',
      primary,
      scratch,
      sqlOf(s, 'data.canaryFingerprint'),
      (ctx) => [Number(ctx.vars.CANARY_SEQ_BEFORE_POINT ?? -1) - IN_FLIGHT_MARGIN],
      undefined,
      'data.canaryFingerprint',
    ),
  ],
});
