/**
 * Bad release on Docker, rolled back by image tag: the seed runbook's "Deployment Steps > Docker Compose
 * (development and test)" and "Rollback Procedures > Docker Compose rollback", judged by its rollback decision
 * criteria (health check failing, error rate > 5 %, latency > 10 s); DR plan RTO 4 h, RPO 1 h.
 * Stack: fixtures/compose/docker-compose.yml (postgres, redis, backend at image tag ${VERSION}), stood up by the
 * docker backend with the router in front. Runbook exercised: fixtures/runbook/deployment-runbook.md, blocks
 * docker-deploy (the rollout), docker-rollback (image-tag restoration) and verify-health (Phase 3).
 * Fault: release v2 (fixtures/app/releases.json: the bad release, every request on its data path fails) rolled out by
 * the runbook's own deployment commands. RTO runs from the start of that rollout to sustained recovery on v1;
 * the record names the criterion that triggered the rollback and when.
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { configured } from '../harness/config/uses.ts';
import type { ReleaseProbe } from '../harness/config/system.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb, probeOf } from './shared.ts';

export default defineDrill({
  id: 'deploy-rollback-docker',
  title: 'Bad release on Docker: roll back by image tag',
  quarter: 'Q4',
  description:
    'The app runs release v1 from its image tag. Release v2 is rolled out with the runbook’s Docker deployment ' +
    'commands under live traffic; v2 fails the rollback decision criteria, and the runbook restores the v1 image ' +
    'tag. The service must answer again on v1, and the record shows which criterion triggered the rollback.',
  runbookSection: 'Deployment Steps > Docker Compose; Rollback Procedures > Docker Compose rollback',
  needs: ['compose'],
  runbookDoc: rb,
  runbookBlocks: ['docker-deploy', 'docker-rollback', 'verify-health'],
  objectives: { rto: '4h', rpo: '1h' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: true, app: { version: 'v1' } },
  // The release's failure shows on the data path (`data.probe`; v2 keeps answering /health and /ready).
  uses: ['data.probe', 'health.version'],
  probe: (s) => probeOf(s, 'data.probe'),
  fault: () => Fault.block('docker-deploy', { VERSION: 'v2' }, { name: 'rollout v2', target: 'app' }),
  procedure: (_e, s) => [
    // Judged on the traffic after the rollout completed: the recreate's own brief gap is not v2's behaviour.
    Step.decideRollback(undefined, { from: 'step' }),
    Step.block('docker-rollback', {
      env: () => ({ PREVIOUS_VERSION: 'v1' }),
      expect: { stdout: /^backend runs \S+:v1$/m },
    }),
    Step.block('verify-health', { expect: { stdout: /service verified/ } }),
    Step.servedVersion('v1', configured<ReleaseProbe>(s, 'health.version')),
  ],
});
