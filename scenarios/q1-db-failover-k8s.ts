/**
 * Q1 on Kubernetes: database failure, failover to standby, with the databases as pods. The seed runbook's DR
 * scenario 1 as for the other backends, except the promotion, which runs inside the standby's pod through
 * `kubectl exec` (Kubernetes procedures > Database failover in the cluster). Fault: kill -9 of the primary's
 * postmaster (its container on the node) under steady traffic and canary writes. Objectives: RTO 30 min, RPO 1 h.
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb } from './shared.ts';

export default defineDrill({
  id: 'q1-db-failover-k8s',
  title: 'Database failure on Kubernetes: failover to standby, promoted through kubectl exec',
  quarter: 'Q1',
  description:
    'The primary PostgreSQL pod’s server dies (kill -9 of the postmaster) under live traffic. The documented ' +
    'failover confirms it down, fences it, promotes the standby from inside its pod with `kubectl exec`, moves ' +
    'the database endpoint and verifies writes. Measures RTO and the acknowledged writes lost (asynchronous ' +
    'replication).',
  runbookSection:
    'Disaster Recovery Plan > DR scenario 1; Kubernetes procedures > Database failover in the cluster',
  needs: ['kubernetes'],
  runbookDoc: rb,
  runbookBlocks: [
    'failover-confirm-down',
    'failover-fence',
    'k8s-failover-promote',
    'failover-repoint',
    'failover-verify',
  ],
  objectives: { rto: '30m', rpo: '1h' },
  estate: { postgres: { standby: true, replication: 'async' }, redis: false, app: { version: 'v1' } },
  // The interval the kube drills were measured at (see k8s-pod-kill); `--probe-interval` overrides.
  traffic: { probeInterval: '100ms' },
  timeouts: { provision: '240s', steady: '120s', step: '90s' },
  fault: (estate) => Fault.kill(estate.postgres.primary),
  procedure: (estate) => {
    const primary = estate.postgres.primary.name;
    const standby = estate.postgres.standby?.name ?? 'the standby';
    return [
      Step.block('failover-confirm-down', { name: `confirm ${primary} is down` }),
      Step.block('failover-fence', { name: `fence ${primary} (delete its pod)` }),
      Step.block('k8s-failover-promote', {
        name: `promote ${standby} through kubectl exec`,
        expect: { stdout: /promoted: accepts writes$/m },
      }),
      Step.block('failover-repoint', {
        name: `repoint db traffic to ${standby}`,
        expect: { stdout: new RegExp(`"to":"${standby}"`) },
      }),
      Step.block('failover-verify', {
        name: `verify writes land on ${standby}`,
        expect: { stdout: /^order \d+ acknowledged .* found on /m },
      }),
    ];
  },
});
