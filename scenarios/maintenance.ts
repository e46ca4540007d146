/**
 * The runbook's maintenance routines (section 6, Maintenance Operations: daily, weekly, monthly, from the seed
 * runbook's "Maintenance Operations") as drills: each runs its routine's blocks on a live estate under traffic,
 * verifies what each did, and must cause no outage (the `client-impact` criterion: no failed probe, no refused
 * write, from steady state to the end). They are routines, not quarterly DR drills (`kind: 'routine'`): `drill
 * run --routines` runs them, `--quarter` and the drill calendar leave them out.
 */
import { defineDrill, type DrillDefinition } from '../harness/drill/define.ts';
import type { Step } from '../harness/runbook/step.ts';
import type { Estate } from '../harness/estate/types.ts';
import type { Capability } from '../harness/estate/backend.ts';
import { deploymentRunbook as rb } from './shared.ts';

export function maintenanceDrill(spec: {
  id: string;
  title: string;
  description: string;
  section: string;
  blocks: string[];
  needs?: Capability[];
  prepare: (e: Estate) => Step[];
  procedure: (e: Estate) => Step[];
}): DrillDefinition {
  return defineDrill({
    id: spec.id,
    title: spec.title,
    quarter: 'Q4',
    kind: 'routine',
    description: spec.description,
    runbookSection: spec.section,
    runbookDoc: rb,
    runbookBlocks: spec.blocks,
    ...(spec.needs ? { needs: spec.needs } : {}),
    objectives: {},
    estate: { postgres: { standby: true, replication: 'async' }, redis: true, app: { version: 'v1' } },
    timeouts: { step: '60s', steady: '45s', drill: '6m' },
    zeroClientImpact: true,
    prepare: spec.prepare,
    procedure: spec.procedure,
  });
}
