/**
 * Backup and full restore: the seed runbook's "Database rollback: full restore" (pg_dump --format=custom, then
 * pg_restore --clean) and its backup strategy (daily full database backup); DR plan RTO 4 h, RPO 1 h.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, Phase 1 "Database backup" and Rollback
 * Procedures "Option B: full restore from the logical dump" (or the config's runbook, its blocks mapped).
 * The data is the system's, as its config declares it: `data.seed` written, `data.fingerprint` recorded,
 * `data.table` dropped, `data.probe` the clients' read of it.
 * Fault: a disaster on the primary, `DROP TABLE <data.table> CASCADE`, under live traffic.
 * Checks: the fingerprint of the data that existed at backup time is equal after the restore.
 * Everything written after the dump is lost by construction; the RPO shows how far back the dump reaches.
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import {
  checkConfigured,
  deploymentRunbook as rb,
  probeOf,
  quotedTable,
  recordConfigured,
  recorded,
  runConfigured,
} from './shared.ts';

export default defineDrill({
  id: 'backup-restore',
  title: 'Full restore from a logical dump after the main table is dropped',
  quarter: 'Q3',
  description:
    'The runbook takes a pg_dump in custom format; then the main table is dropped on the primary under live ' +
    'traffic. The runbook restores the dump with pg_restore --clean. Every row that existed at backup time must ' +
    'be back, byte for byte (its fingerprint), and the service must answer again.',
  runbookSection: 'Rollback Procedures > Database rollback > Option B: full restore (pg_dump / pg_restore)',
  runbookDoc: rb,
  runbookBlocks: ['backup-db', 'restore-db'],
  uses: ['data.table', 'data.seed', 'data.fingerprint', 'data.probe'],
  objectives: { rto: '4h', rpo: '1h' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
  probe: (s) => probeOf(s, 'data.probe'),
  prepare: (e, s) => [
    runConfigured('seed the data (data.seed)', s, 'data.seed', () => e.postgres.primary),
    recordConfigured('DATA_BEFORE', s, 'data.fingerprint', () => e.postgres.primary),
    Step.block('backup-db', { expect: { stdout: /^dump: .*\(\d+ bytes\)$/m } }),
  ],
  fault: (e, s) => Fault.corrupt(e.postgres.primary, `DROP TABLE ${quotedTable(s)} CASCADE`, 'DROP TABLE'),
  procedure: (e, s) => [
    Step.block('restore-db', { expect: { stdout: /^rows after restore: \d+$/m } }),
    checkConfigured(
      'data equals the backup (data.fingerprint)',
      s,
      'data.fingerprint',
      () => e.postgres.primary,
      recorded('DATA_BEFORE'),
    ),
    Step.verifyWrites(e.postgres.primary),
  ],
});
