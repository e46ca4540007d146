/** Section 1: report identification and scope (report id, run id, test type, backend, scope, times, verdict). */
import type { RunSummary } from '../summary.ts';
import type { DrillView } from '../view.ts';
import type { HtmlContext } from './context.ts';
import { badge, code, esc, fmt, kv } from './parts.ts';

export function identification(
  summary: RunSummary,
  views: readonly DrillView[],
  ctx: HtmlContext,
  reportId: string,
): string {
  const ev = ctx.evidence;
  const dur = Date.parse(summary.finishedAt) - Date.parse(summary.startedAt);
  return `<section><h2>1. Report identification and scope</h2>
${kv([
  [
    'Report ID',
    `${code(reportId)} (revision ${ctx.revision}${ctx.revision > 1 ? ', re-issued with people’s evidence' : ''})`,
  ],
  ['Schema version', esc(String(summary.schemaVersion))],
  [
    'Run ID',
    `${code(summary.runId)}: the label on every resource the run created (${code('DRILL_RUN_ID')} on processes, marker files in directories)`,
  ],
  [
    'Test type',
    'Automated functional test of the recovery procedure (not a full-scale exercise, not a tabletop)',
  ],
  [
    'Backend',
    `${esc(summary.backend)}: ${summary.backend === 'local' ? 'processes on 127.0.0.1 started for this run from the machine’s binaries' : 'a disposable estate created for this run'}; a rehearsal, not production`,
  ],
  ['Scope', views.map((v) => `${esc(v.id)}: ${esc(v.scope)}`).join('<br>')],
  [
    'Planned start / end',
    ev?.plannedStart || ev?.plannedEnd
      ? `${esc(ev.plannedStart ?? '—')} → ${esc(ev.plannedEnd ?? '—')}`
      : '<span class="muted">not given (optional: plannedStart, plannedEnd in the evidence file)</span>',
  ],
  ['Actual start / end', `${esc(summary.startedAt)} → ${esc(summary.finishedAt)} (${esc(fmt(dur))})`],
  [
    'Overall verdict',
    `${badge(summary.status)} <span class="muted">passed = completed, nothing left behind, every objective met; error = inconclusive, never passed</span>`,
  ],
  ['drillbook version', esc(ctx.drillbookVersion)],
  ['Report generated', esc(ctx.generatedAt)],
])}
</section>`;
}
