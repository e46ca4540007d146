/**
 * Bad release, rolled back: the seed runbook's "Hosts without an orchestrator" deployment and its "Rollback
 * decision criteria" (health check failing, error rate > 5 %, latency > 10 s), then the deployment again for the
 * previous release and "Phase 3: Verification"; DR plan RTO 4 h, RPO 1 h. On every backend whose
 * infrastructure API deploys releases (local processes, Docker containers), for any system whose config names a
 * good release v1 and a bad release v2.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, blocks deploy-release and verify-health (or the
 * config's runbook, its blocks mapped).
 * Fault: release v2 rolled out by the runbook's own deployment block under live traffic. The clients' probe is
 * the config's read of the data (`data.probe`): a bad release may keep its health path answering while it fails
 * every real request. RTO runs from the start of the rollout to sustained recovery on v1; the record names the
 * criterion that triggered the rollback and when.
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb, probeOf } from './shared.ts';

export default defineDrill({
  id: 'deploy-rollback',
  title: 'Bad release: rollback decision, redeploy of v1',
  quarter: 'Q4',
  description:
    'The service runs release v1. Release v2 is rolled out with the runbook’s deployment block under live ' +
    'traffic; v2 fails the rollback decision criteria, and the runbook deploys v1 again. The service must answer ' +
    'again, and the record shows which criterion triggered the rollback.',
  runbookSection:
    'Deployment Steps > Hosts without an orchestrator; Rollback Procedures > Rollback decision criteria',
  runbookDoc: rb,
  runbookBlocks: ['deploy-release', 'verify-health'],
  uses: ['data.probe'],
  objectives: { rto: '4h', rpo: '1h' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
  probe: (s) => probeOf(s, 'data.probe'),
  fault: () => Fault.block('deploy-release', { VERSION: 'v2' }, { name: 'release v2', target: 'app' }),
  procedure: () => [
    // Judged on the traffic after the rollout completed: the restart's own brief gap is not v2's behaviour.
    Step.decideRollback(undefined, { from: 'step' }),
    Step.block('deploy-release', { env: () => ({ VERSION: 'v1' }), expect: { stdout: /"to":"v1"/ } }),
    Step.block('verify-health', { expect: { stdout: /service verified/ } }),
  ],
});
