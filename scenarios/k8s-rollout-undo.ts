/**
 * A release that never gets ready, rolled back through the Deployment's history: the seed runbook's Kubernetes
 * deployment (`kubectl set image`, `kubectl rollout status --timeout`) and "K8s Rollback" (`kubectl rollout
 * undo`), judged by its rollback decision criteria (health check failing, error rate > 5 %, latency > 10 s).
 * Estate: the kube backend (the app as the Deployment `backend`, 2 replicas, `maxSurge: 1, maxUnavailable: 0`,
 * readiness on the data path). Fault: release v2 (every request on its data path fails) rolled out by the runbook's own
 * block; its pods never get ready, so `rollout status` runs out its timeout. Procedure: the ReplicaSet
 * revisions, the release's health from the cluster, the decision (live traffic judged beside it), `rollout
 * undo` through the runbook, the revisions again, the service verified on v1. With a correct readiness probe
 * and surge settings the failed rollout should cost clients nothing: the RTO and lost writes say whether it did.
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { configured } from '../harness/config/uses.ts';
import type { ReleaseProbe } from '../harness/config/system.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb, probeOf } from './shared.ts';

/** How long the rollout gets before it counts as failed (the runbook's default is 300s). */
const ROLLOUT_TIMEOUT = '10s';

export default defineDrill({
  id: 'k8s-rollout-undo',
  title: 'Bad release on Kubernetes: rollout times out, rolled back with rollout undo',
  quarter: 'Q4',
  description:
    'The app runs release v1 as a Deployment of 2 pods. Release v2 is rolled out with the runbook’s ' +
    '`kubectl set image`; its pods never pass their readiness probe, so `kubectl rollout status` fails its ' +
    'timeout. The rollback criteria are judged (the cluster’s health checks, live traffic beside them), the ' +
    'runbook’s `kubectl rollout undo` restores revision 1’s pod template, and the service must answer on v1. ' +
    'The record shows the ReplicaSet revisions before and after, and whether the failed rollout cost clients ' +
    'anything.',
  runbookSection: 'Kubernetes procedures > Rolling out a release; Kubernetes rollback through the history',
  needs: ['kubernetes'],
  runbookDoc: rb,
  runbookBlocks: ['k8s-deploy', 'k8s-revisions', 'k8s-health-check', 'k8s-rollback', 'verify-health'],
  objectives: { rto: '4h', rpo: '1h' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
  // The release's failure shows on the order path (v2 answers /health and /ready).
  // Probed at the interval the kube drills were measured at (main's default of 15 ms sends ~66 requests a second
  // through the endpoint proxy to the pods, which the single loaded node cannot serve; `--probe-interval` overrides).
  traffic: { probeInterval: '100ms' },
  uses: ['data.probe', 'health.version'],
  probe: (s) => probeOf(s, 'data.probe'),
  timeouts: { provision: '240s', steady: '60s', step: '90s' },
  fault: () =>
    Fault.block('k8s-deploy', { VERSION: 'v2', ROLLOUT_TIMEOUT }, { name: 'roll out v2', target: 'app' }),
  procedure: (_e, s) => [
    Step.block('k8s-revisions', {
      name: 'ReplicaSet revisions before the rollback',
      expect: { stdout: /at revision 2 running \S+:v2$/m },
    }),
    Step.block('k8s-health-check', {
      name: 'health of the v2 pods, from the cluster',
      env: () => ({ VERSION: 'v2' }),
      capture: { ROLLOUT_HEALTH: /^(health checks failing: .*)$/m },
    }),
    Step.decideRollback(undefined, { healthCheck: (ctx) => ctx.vars.ROLLOUT_HEALTH }),
    Step.block('k8s-rollback', {
      name: 'kubectl rollout undo',
      env: () => ({ ROLLOUT_TIMEOUT: '60s' }),
      expect: { stdout: /^backend runs \S+:v1$/m },
    }),
    Step.block('k8s-revisions', {
      name: 'ReplicaSet revisions after the rollback',
      expect: { stdout: /at revision 3 running \S+:v1$/m },
    }),
    Step.block('verify-health', { expect: { stdout: /service verified/ } }),
    Step.servedVersion('v1', configured<ReleaseProbe>(s, 'health.version')),
  ],
});
