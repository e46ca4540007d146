/**
 * Database migration rollback: the seed runbook's deployment with "Database migrations: Alembic upgrade" and
 * its "Database rollback: Alembic downgrade", under the rollback decision criteria (health check failing,
 * error rate > 5 %, latency > 10 s); DR plan RTO 4 h.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, "Database migrations" and "Hosts without an
 * orchestrator" (the release), "Rollback decision criteria", "Option A: migration downgrade", the deployment
 * again for v1, and "Phase 3: Verification" (or the config's runbook, its blocks mapped).
 * Fault: release v2 (the config's bad release) with its schema migration, rolled out by the runbook's blocks
 * migrate-up and deploy-release. RTO runs from the start of the v2 rollout to sustained recovery on v1, probed
 * on the config's read of the data (`data.probe`).
 * Checks: the data that existed before the release is intact after the downgrade (`data.fingerprint`), and the
 * schema is back at the revision v1 runs on (`data.migrations`).
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { configured } from '../harness/config/uses.ts';
import {
  checkConfigured,
  deploymentRunbook as rb,
  probeOf,
  recordConfigured,
  recorded,
  runConfigured,
} from './shared.ts';

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export default defineDrill({
  id: 'db-migration-rollback',
  title: 'Bad release with a schema migration: downgrade and roll back to v1',
  quarter: 'Q4',
  description:
    'Release v2 migrates the schema and replaces v1 under live traffic; v2 fails the rollback decision ' +
    'criteria. The runbook downgrades the schema to the revision v1 runs on and redeploys v1. Data that existed ' +
    'before the release must be intact, and the service must answer again on v1.',
  runbookSection:
    'Rollback Procedures > Rollback decision criteria; Database rollback > Option A: migration downgrade',
  runbookDoc: rb,
  runbookBlocks: ['migrate-up', 'deploy-release', 'migrate-down', 'verify-health'],
  uses: ['data.seed', 'data.fingerprint', 'data.probe', 'data.migrations'],
  objectives: { rto: '4h', rpo: '1h' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
  probe: (s) => probeOf(s, 'data.probe'),
  prepare: (e, s) => [
    runConfigured('seed the data (data.seed)', s, 'data.seed', () => e.postgres.primary),
    recordConfigured('DATA_BEFORE', s, 'data.fingerprint', () => e.postgres.primary),
  ],
  // The release as the runbook deploys it: its migration, then the service rolled to it.
  fault: () =>
    Fault.block(['migrate-up', 'deploy-release'], { VERSION: 'v2' }, { name: 'release v2', target: 'app' }),
  procedure: (e, s) => {
    const base = configured<string>(s, 'data.migrations.base');
    return [
      Step.decideRollback(),
      Step.block('migrate-down', {
        env: () => ({ TARGET_REVISION: base }),
        expect: { stdout: new RegExp(`current: ${escaped(base)}`) },
      }),
      Step.block('deploy-release', { env: () => ({ VERSION: 'v1' }), expect: { stdout: /"to":"v1"/ } }),
      checkConfigured(
        'data from before the release intact (data.fingerprint)',
        s,
        'data.fingerprint',
        () => e.postgres.primary,
        recorded('DATA_BEFORE'),
      ),
      checkConfigured(
        `schema back at ${base} (data.migrations.revision)`,
        s,
        'data.migrations.revision',
        () => e.postgres.primary,
        () => base,
      ),
      Step.block('verify-health', { expect: { stdout: /service verified/ } }),
    ];
  },
});
