/**
 * Database migration rollback: the seed runbook's deployment with "Database migrations: Alembic upgrade" and
 * its "Database rollback: Alembic downgrade", under the rollback decision criteria (health check failing,
 * error rate > 5 %, latency > 10 s); DR plan RTO 4 h.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, "Database migrations" and "Hosts without an
 * orchestrator" (the release), "Rollback decision criteria", "Option A: migration downgrade", the deployment
 * again for v1, and "Phase 3: Verification".
 * Fault: release v2 with its migration 0002 (fixtures/app/releases.json: v2 is the bad release, every /orders
 * request fails), rolled out by the runbook's blocks migrate-up and deploy-release. RTO runs from the start of
 * the v2 rollout to sustained recovery on v1.
 * Checks: every row that existed before the release is intact after the downgrade (row count and checksum).
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb, fingerprint, INSERT_SEED, NOT_CANARY } from './shared.ts';

export default defineDrill({
  id: 'db-migration-rollback',
  title: 'Bad release with a schema migration: downgrade and roll back to v1',
  quarter: 'Q4',
  description:
    'Release v2 migrates the schema (0002) and replaces v1 under live traffic; v2 fails the rollback decision ' +
    'criteria. The runbook downgrades the schema to 0001 and redeploys v1. Data that existed before the ' +
    'release must be intact, and the service must answer again on v1.',
  runbookSection:
    'Rollback Procedures > Rollback decision criteria; Database rollback > Option A: migration downgrade',
  runbookDoc: rb,
  runbookBlocks: ['migrate-up', 'deploy-release', 'migrate-down', 'verify-health'],
  objectives: { rto: '4h', rpo: '1h' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
  traffic: { probePath: '/orders?limit=1' },
  prepare: (e) => [
    Step.sql('seed 2000 orders', () => e.postgres.primary, INSERT_SEED),
    Step.record('DATA_BEFORE', () => e.postgres.primary, fingerprint(NOT_CANARY)),
  ],
  // The release as the runbook deploys it: its migration, then the service rolled to it.
  fault: () =>
    Fault.block(['migrate-up', 'deploy-release'], { VERSION: 'v2' }, { name: 'release v2', target: 'app' }),
  procedure: (e) => [
    Step.decideRollback(),
    Step.block('migrate-down', {
      env: () => ({ TARGET_REVISION: '0001' }),
      expect: { stdout: /current: 0001/ },
    }),
    Step.block('deploy-release', { env: () => ({ VERSION: 'v1' }), expect: { stdout: /"to":"v1"/ } }),
    Step.check(
      'data from before the release intact',
      () => e.postgres.primary,
      fingerprint(NOT_CANARY),
      (ctx) => ctx.vars.DATA_BEFORE ?? '?',
    ),
    Step.check(
      'schema back at 0001',
      () => e.postgres.primary,
      'SELECT max(rev) FROM schema_migrations',
      () => '0001',
    ),
    Step.block('verify-health', { expect: { stdout: /service verified/ } }),
  ],
});
