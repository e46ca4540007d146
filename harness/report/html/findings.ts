/** The findings section: what the harness detected, and the findings people recorded (owner, due date, retest). */
import type { EvidenceInput, MissingField } from '../evidence.ts';
import type { DrillView } from '../view.ts';
import { esc, missing, table } from './parts.ts';

export function findings(
  views: readonly DrillView[],
  ev: EvidenceInput | undefined,
  miss: readonly MissingField[],
): string {
  const auto = views.flatMap((v) => [
    ...(v.error ? [`${v.id}: ${v.error.message}`] : []),
    ...v.criteria.filter((c) => !c.passed).map((c) => c.message),
  ]);
  const list = ev?.findings ?? [];
  const missFor = (i: number, f: 'owner' | 'due') => miss.find((m) => m.field === `findings[${i}].${f}`);
  const rows = list.map((f, i) => [
    String(i + 1),
    `<strong>${esc(f.title)}</strong>`,
    `<span class="sev sev-${f.severity}">${esc(f.severity)}</span>`,
    esc(f.drill ?? (views.length === 1 ? (views[0]?.id ?? '') : 'run')),
    f.owner ? esc(f.owner) : missing(missFor(i, 'owner')?.why ?? 'owner'),
    f.due ? esc(f.due) : missing(missFor(i, 'due')?.why ?? 'due date'),
    f.retest ? esc(f.retest) : '<span class="muted">—</span>',
  ]);
  const needOne = miss.find((m) => m.field === 'findings');
  return `<section><h2>${views.length + 3}. Findings</h2>
${auto.length ? `<p><strong>Detected by the harness</strong> (each needs a finding with an owner and a due date):</p><ul>${auto.map((a) => `<li class="fail-text">${esc(a)}</li>`).join('')}</ul>` : '<p>The harness detected no failed criterion.</p>'}
${rows.length ? table(['#', 'finding', 'severity', 'drill', 'owner', 'due', 'retest'], rows, 'compact') : needOne ? `<p>${missing(needOne.why)}</p>` : '<p class="muted">No findings recorded by people.</p>'}
</section>`;
}
