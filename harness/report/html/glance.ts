/** Results at a glance: verdict, RTO and RPO (or the run's size), lost writes, signing; one row per drill. */
import type { RunSummary } from '../summary.ts';
import type { DrillView } from '../view.ts';
import type { HtmlContext } from './context.ts';
import { badge, esc, fmt, table, VERDICT_WORD } from './parts.ts';

export function glance(summary: RunSummary, views: readonly DrillView[], ctx: HtmlContext): string {
  const passed = views.filter((v) => v.status === 'passed').length;
  const lost = summary.drills.reduce((a, d) => a + (d.measured.lostAckedWrites ?? 0), 0);
  const acked = summary.drills.reduce((a, d) => a + (d.measured.ackedWrites ?? 0), 0);
  const one = summary.drills.length === 1 ? summary.drills[0] : undefined;
  const cards: [string, string, string][] = [
    [
      'Overall verdict',
      VERDICT_WORD[summary.status],
      `${passed} of ${views.length} drill${views.length === 1 ? '' : 's'} passed`,
    ],
    one
      ? ['RTO measured', fmt(one.measured.rtoMs), `objective ${fmt(one.objectives.rtoMs)}`]
      : ['Drills', String(views.length), summary.drills.map((d) => d.id).join(', ')],
    one
      ? ['RPO measured', fmt(one.measured.rpoMs), `objective ${fmt(one.objectives.rpoMs)}`]
      : ['Duration', fmt(Date.parse(summary.finishedAt) - Date.parse(summary.startedAt)), 'whole run'],
    ['Lost acknowledged writes', String(lost), `of ${acked} acknowledged`],
    [
      'Evidence',
      ctx.signing.signed ? 'Signed' : 'Unsigned',
      ctx.signing.signed
        ? `Ed25519, key ${ctx.signing.fingerprint.slice(0, 19)}…`
        : 'hashes only, no signature',
    ],
  ];
  const rows = summary.drills.map((d) => [
    `<strong>${esc(d.id)}</strong>`,
    esc(d.quarter),
    badge(d.status),
    esc(fmt(d.objectives.rtoMs)),
    esc(fmt(d.measured.rtoMs)),
    esc(fmt(d.objectives.rpoMs)),
    esc(fmt(d.measured.rpoMs)),
    esc(`${d.measured.lostAckedWrites ?? '—'} of ${d.measured.ackedWrites ?? '—'}`),
  ]);
  return `<section class="glance" aria-label="results at a glance">
<div class="cards">${cards
    .map(
      ([k, v, s], i) =>
        `<div class="card${i === 0 ? ` card-${summary.status}` : ''}${i === 4 && !ctx.signing.signed ? ' card-warn' : ''}"><div class="card-k">${esc(k)}</div><div class="card-v">${esc(v)}</div><div class="card-s">${esc(s)}</div></div>`,
    )
    .join('')}</div>
${table(['drill', 'quarter', 'verdict', 'RTO objective', 'RTO measured', 'RPO objective', 'RPO measured', 'lost acked writes'], rows, 'results')}
</section>`;
}
