/** Objectives vs measured: one row per criterion with its verdict and the sentence that explains it. */
import type { DrillView } from '../view.ts';
import { badge, esc, pass, table } from './parts.ts';

export function criteria(v: DrillView): string {
  return `${table(
    ['criterion', 'objective', 'measured', 'verdict', 'finding'],
    v.criteria.map((c, i) => [
      `<strong>${esc(c.name)}</strong>${v.criterionStages ? `<br>${esc(v.criterionStages[i] ?? '(exercise)')}` : ''}`,
      esc(c.objective),
      esc(c.measured),
      pass(c.passed),
      esc(c.message),
    ]),
    'criteria',
  )}
${v.criteria.length === 0 ? '<p class="alert">No criterion could be evaluated: the drill is inconclusive (error).</p>' : ''}
<p class="muted">Objectives from ${esc(objectiveSource(v))}. Verdict for the drill: ${badge(v.status)}</p>`;
}

function objectiveSource(v: DrillView): string {
  const s = [
    v.objectiveSources.rto &&
      `RTO: ${v.objectiveSources.rto === 'override' ? 'overridden on the command line for this run' : v.objectiveSources.rto === 'config' ? 'the config file (DR plan)' : 'the scenario (DR plan)'}`,
    v.objectiveSources.rpo &&
      `RPO: ${v.objectiveSources.rpo === 'override' ? 'overridden on the command line for this run' : v.objectiveSources.rpo === 'config' ? 'the config file (DR plan)' : 'the scenario (DR plan)'}`,
  ].filter(Boolean);
  return s.length ? s.join('; ') : 'nowhere: this drill declares no RTO/RPO objective';
}
