/** The building blocks every section of report.html is made of: badges, tables, code, times. */
import { formatDuration } from '../../core/duration.ts';
import type { DrillStatus } from '../../record/record.ts';
import { esc } from '../escape.ts';
import { relativeTo, wallClock, type DrillView } from '../view.ts';

export { esc };

export const fmt = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));

export const VERDICT_WORD: Record<DrillStatus, string> = {
  passed: 'PASSED',
  failed: 'FAILED',
  error: 'ERROR (inconclusive)',
};

export function badge(status: DrillStatus, big = false): string {
  return `<span class="badge badge-${status}${big ? ' badge-big' : ''}">${VERDICT_WORD[status]}</span>`;
}
export function pass(ok: boolean): string {
  return ok ? '<span class="badge badge-passed">PASS</span>' : '<span class="badge badge-failed">FAIL</span>';
}
export function missing(why: string): string {
  return `<span class="missing">MISSING</span> <span class="missing-why">${esc(why)}</span>`;
}
export function kv(rows: readonly (readonly [string, string])[]): string {
  return `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}
export function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  return `<table class="grid ${cls}"><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}
export function code(s: string): string {
  return `<code>${esc(s)}</code>`;
}
/** Wall-clock ISO time of a drill-clock instant. */
export function wall(v: DrillView, t: number): string {
  return wallClock(v.startedAt, t);
}
/** "t_f + 95 ms" when the drill had a fault, else "start + 2.79 s". */
export function rel(v: DrillView, t: number): string {
  return relativeTo(v.instants.faultAt, t);
}
