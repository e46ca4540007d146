/**
 * A backend pod lost under load: what a node failure or an eviction does to one replica of the Deployment.
 * Estate: the kube backend (the app as the Deployment `backend`, 2 replicas behind its Service). Fault: the
 * runbook's `k8s-pod-kill` block deletes one running pod at once (no grace period). Procedure: the runbook's
 * `k8s-heal-check` waits until the Deployment has every replica ready again. Measured: what clients saw (RTO
 * from the probe, lost writes from the canary) and how long the Deployment took to heal.
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb, probeOf } from './shared.ts';

export default defineDrill({
  id: 'k8s-pod-kill',
  title: 'Backend pod killed under load: the Deployment heals',
  quarter: 'Q4',
  description:
    'One of the 2 pods of the Deployment `backend` is deleted at once, without its grace period, while clients ' +
    'read and write. The Service stops sending it traffic, the ReplicaSet starts a replacement, and the ' +
    'Deployment must have every replica ready again. Measures what the loss cost clients and how long healing took.',
  runbookSection: 'Kubernetes procedures > A backend pod lost',
  needs: ['kubernetes'],
  runbookDoc: rb,
  runbookBlocks: ['k8s-pod-kill', 'k8s-heal-check', 'verify-health'],
  objectives: { rto: '30s', rpo: '0ms' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
  // Probed at the interval the kube drills were measured at (main's default of 15 ms sends ~66 requests a second
  // through the endpoint proxy to the pods, which the single loaded node cannot serve; `--probe-interval` overrides).
  traffic: { probeInterval: '100ms' },
  uses: ['data.probe'],
  probe: (s) => probeOf(s, 'data.probe'),
  timeouts: { provision: '240s', steady: '60s', step: '90s' },
  fault: () => Fault.block('k8s-pod-kill', {}, { name: 'delete a backend pod', target: 'app' }),
  procedure: () => [
    Step.block('k8s-heal-check', {
      name: 'the Deployment has every replica ready again',
      expect: { stdout: /^deployment backend healed: (\d+) of \1 pods ready$/m },
    }),
    Step.block('verify-health', { expect: { stdout: /service verified/ } }),
  ],
});
