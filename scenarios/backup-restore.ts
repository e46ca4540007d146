/**
 * Backup and full restore: the seed runbook's "Database rollback: full restore" (pg_dump --format=custom, then
 * pg_restore --clean) and its backup strategy (daily full database backup); DR plan RTO 4 h, RPO 1 h.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, Phase 1 "Database backup" and Rollback
 * Procedures "Option B: full restore from the logical dump".
 * Fault: a disaster on the primary, `DROP TABLE orders`, under live traffic.
 * Checks: row count and checksum of the data that existed at backup time are equal after the restore.
 * Everything written after the dump is lost by construction; the RPO shows how far back the dump reaches.
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb, fingerprint, INSERT_SEED, NOT_CANARY } from './shared.ts';

export default defineDrill({
  id: 'backup-restore',
  title: 'Full restore from a logical dump after the orders table is dropped',
  quarter: 'Q3',
  description:
    'The runbook takes a pg_dump in custom format; then the orders table is dropped on the primary under live ' +
    'traffic. The runbook restores the dump with pg_restore --clean. Every row that existed at backup time must ' +
    'be back, byte for byte (row count and checksum), and the service must answer again.',
  runbookSection: 'Rollback Procedures > Database rollback > Option B: full restore (pg_dump / pg_restore)',
  runbookDoc: rb,
  runbookBlocks: ['backup-db', 'restore-db'],
  objectives: { rto: '4h', rpo: '1h' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
  traffic: { probePath: '/orders?limit=1' },
  prepare: (e) => [
    Step.sql('seed 2000 orders', () => e.postgres.primary, INSERT_SEED),
    Step.record('DATA_BEFORE', () => e.postgres.primary, fingerprint(NOT_CANARY)),
    Step.block('backup-db', { expect: { stdout: /^dump: .*\(\d+ bytes\)$/m } }),
  ],
  fault: (e) => Fault.corrupt(e.postgres.primary, 'DROP TABLE orders CASCADE', 'DROP TABLE'),
  procedure: (e) => [
    Step.block('restore-db', { expect: { stdout: /^rows after restore: \d+$/m } }),
    Step.check(
      'rows and checksum equal the backup',
      () => e.postgres.primary,
      fingerprint(NOT_CANARY),
      (ctx) => ctx.vars.DATA_BEFORE ?? '?',
    ),
    Step.verifyWrites(e.postgres.primary),
  ],
});
