import type { DrillRecord } from '../record/record.ts';
import { missingEvidence } from './evidence.ts';
import type { HtmlContext } from './html/context.ts';
import { CSS } from './html/css.ts';
import { drillSection } from './html/drill.ts';
import { evidenceManifest } from './html/evidence-manifest.ts';
import { findings } from './html/findings.ts';
import { glance } from './html/glance.ts';
import { identification } from './html/identification.ts';
import { draftBanner, masthead } from './html/masthead.ts';
import { esc } from './html/parts.ts';
import { people } from './html/people.ts';
import type { RunSummary } from './summary.ts';
import { drillView } from './view.ts';

export type { HtmlContext } from './html/context.ts';

/**
 * report.html: the run for an auditor, covering every field of docs EVIDENCE.md, self-contained (inline CSS and
 * SVG, no script, no font or image fetched; a Content-Security-Policy forbids any fetch) and legible in print.
 * A pure function of the summary, the records (through their view, shared with report.md) and the context;
 * each section is a file under html/.
 */
export function renderHtml(summary: RunSummary, records: readonly DrillRecord[], ctx: HtmlContext): string {
  const missingFields = missingEvidence(ctx.evidence, summary.status === 'passed');
  const draft = missingFields.length > 0;
  const reportId = `${summary.runId}.r${ctx.revision}`;
  const views = records.map(drillView);
  const body = [
    draft ? '<div class="watermark" aria-hidden="true">DRAFT</div>' : '',
    masthead(summary, reportId, draft),
    draft ? draftBanner(missingFields) : '',
    glance(summary, views, ctx),
    identification(summary, views, ctx, reportId),
    people(ctx.evidence, missingFields),
    ...records.map((r, i) => drillSection(r, views[i] ?? drillView(r), i, ctx)),
    findings(views, ctx.evidence, missingFields),
    evidenceManifest(summary, ctx),
    `<footer>drillbook ${esc(ctx.drillbookVersion)} · report ${esc(reportId)} · generated ${esc(ctx.generatedAt)} · self-contained: this page loads nothing from the network</footer>`,
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="drillbook ${esc(ctx.drillbookVersion)}">
<title>${esc(`${draft ? 'DRAFT ' : ''}DR drill report ${summary.runId}: ${summary.status.toUpperCase()}`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.filter(Boolean).join('\n')}
</main>
</body>
</html>
`;
}
