/** The top of report.html: run, backend, verdict, the scope note, and the draft banner while people's fields are missing. */
import type { MissingField } from '../evidence.ts';
import type { RunSummary } from '../summary.ts';
import { badge, code, esc } from './parts.ts';

export function masthead(summary: RunSummary, reportId: string, draft: boolean): string {
  return `<header class="masthead">
<div class="mast-top"><span class="brand">drillbook</span><span class="doc-kind">Disaster-recovery drill report</span></div>
<div class="mast-main">
<div><h1>Run ${esc(summary.runId)}</h1>
<div class="mast-meta">Report ${esc(reportId)} · backend <strong>${esc(summary.backend)}</strong> · ${esc(summary.startedAt)} → ${esc(summary.finishedAt)}</div></div>
<div class="mast-verdict">${badge(summary.status, true)}${draft ? '<span class="badge badge-draft badge-big">DRAFT</span>' : ''}</div>
</div>
<p class="scope-note"><strong>Automated functional test on a disposable estate</strong> created for this run and torn down after it (backend <strong>${esc(summary.backend)}</strong>): a rehearsal of the recovery procedure, <strong>not production</strong> and not a full-scale exercise.</p>
</header>`;
}

export function draftBanner(fields: readonly MissingField[]): string {
  return `<section class="draft-banner" aria-label="draft">
<strong>DRAFT: not yet an audit record.</strong> ${fields.length} field${fields.length === 1 ? '' : 's'} that people must fill ${fields.length === 1 ? 'is' : 'are'} missing:
${fields.map((f) => `<strong>${esc(f.field)}</strong>`).join(', ')}.
Add them with ${code('drill report <run-dir> --evidence FILE')} (see the People and sign-off section).
</section>`;
}
