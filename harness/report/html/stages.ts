/** A composite exercise: one row per stage (objectives, measured RTO/RPO, verdict), then the plan verdict. */
import type { DrillView } from '../view.ts';
import { badge, esc, table } from './parts.ts';

export function stagesTable(v: DrillView): string {
  const st = v.stages;
  if (!st) return '';
  const verdict = (s: (typeof st.rows)[number]) =>
    s.status === 'not run' ? '<span class="badge badge-error">NOT RUN</span>' : badge(s.status);
  return `<p>Each stage ran on this one estate, measured from its own probes and canary writes against its own fault (t_f); times are from the start of the exercise.</p>
${table(
  [
    '#',
    'stage',
    'quarter',
    'span',
    't_f',
    'RTO objective',
    'RTO measured',
    'RPO objective',
    'RPO measured',
    'lost acked',
    'verdict',
    'finding',
  ],
  st.rows.map((s) => [
    String(s.index),
    `<strong>${esc(s.id)}</strong><br>${esc(s.title)}`,
    esc(s.quarter),
    esc(s.span),
    esc(s.faultAt),
    esc(s.rtoObjective),
    esc(s.rtoMeasured),
    esc(s.rpoObjective),
    esc(s.rpoMeasured),
    esc(s.lostAcked),
    verdict(s),
    esc(s.findings.join('; ')),
  ]),
  'stages',
)}
<p><strong>Plan verdict:</strong> ${badge(st.verdict)} ${esc(st.summary)}; ${v.cleanup.kept ? 'estate kept' : v.cleanup.clean ? 'nothing left behind' : 'resources left behind'}.</p>`;
}
