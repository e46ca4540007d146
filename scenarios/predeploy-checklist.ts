/**
 * The pre-deployment checklist (the seed runbook's "Pre-Deployment Checklist": infrastructure, backup,
 * configuration, testing, monitoring), run as checks against a live estate under traffic, and the deployment it
 * gates. Runbook exercised: fixtures/runbook/deployment-runbook.md, section 7 (every `check=` block), after the
 * preparation of section 2, Phase 1 (logical dump, base backup, Redis snapshot), and its rollout block
 * (`deploy-release`, the same release again). The DR plan's daily backup gives the backups' 24 h limit.
 * No fault: `drill checklist --break NAME` adds one that breaks exactly one item's condition, and then the drill
 * must fail on that item and never start the rollout.
 */
import { defineDrill, type DrillDefinition } from '../harness/drill/define.ts';
import type { Fault } from '../harness/faults/fault.ts';
import type { Estate } from '../harness/estate/types.ts';
import type { ChecklistOptions } from '../harness/runbook/checklist.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb } from './shared.ts';

/**
 * The checklist drill with a declaration (default: the config file's `checklist` section, read when it runs) and,
 * to prove an item, a break.
 */
export function predeployChecklist(
  opts?: ChecklistOptions,
  brk?: { name: string; fault: (estate: Estate) => Fault },
): DrillDefinition {
  return defineDrill({
    id: 'predeploy-checklist',
    title: brk
      ? `Pre-deployment checklist with ${brk.name} broken: the gate must hold the rollout`
      : 'Pre-deployment checklist, then the rollout it gates',
    quarter: 'Q4',
    description:
      'Every item of the runbook’s pre-deployment checklist (check= blocks) runs against the live estate; the ' +
      'rollout (deploy-release) starts only when none fails.',
    runbookSection: 'Pre-deployment checklist; Deployment Steps > Phase 1 and 2',
    runbookDoc: rb,
    runbookBlocks: ['backup-db', 'backup-base', 'backup-redis', 'deploy-release', ...checkIds()],
    objectives: {},
    estate: { postgres: { standby: true, replication: 'async' }, redis: true, app: { version: 'v1' } },
    // Prometheus, Alertmanager and the exporters where the backend runs them: the Monitoring items check them.
    monitoringWhenOffered: true,
    timeouts: { step: '120s', steady: '45s', drill: '6m' },
    prepare: () => [
      Step.block('backup-db', { expect: { stdout: /^dump: / } }),
      Step.block('backup-base', { expect: { stdout: /^base backup: / } }),
      Step.block('backup-redis', { expect: { stdout: /^redis snapshot taken at / } }),
      Step.tlsEndpoint(opts?.serviceName),
    ],
    ...(brk ? { fault: (e: Estate) => brk.fault(e) } : {}),
    procedure: () => [
      Step.checklist(opts),
      Step.checklistGate(),
      Step.block('deploy-release', { env: () => ({ VERSION: 'v1' }), expect: { stdout: /service runs v1/ } }),
    ],
  });
}

function checkIds(): string[] {
  return [...rb.blocks.values()].filter((b) => b.check).map((b) => b.id);
}

export default predeployChecklist();
