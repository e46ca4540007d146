/** One drill's section of report.html: verdict, then the numbered subsections in the order an auditor reads them. */
import type { DrillRecord } from '../../record/record.ts';
import type { DrillView } from '../view.ts';
import type { HtmlContext } from './context.ts';
import { alertsSection } from './alerts.ts';
import { criteria } from './criteria.ts';
import { dataLoss } from './data-loss.ts';
import { deviations } from './deviations.ts';
import { estate } from './estate.ts';
import { eventLog } from './event-log.ts';
import { checklist } from './checklist.ts';
import { integrity } from './integrity.ts';
import { badge, esc } from './parts.ts';
import { recoveryTime } from './recovery-time.ts';
import { scenario } from './scenario.ts';
import { stagesTable } from './stages.ts';
import { stepsTable } from './steps.ts';
import { teardown } from './teardown.ts';
import { timelineFigure } from './timeline.ts';

export function drillSection(r: DrillRecord, v: DrillView, index: number, ctx: HtmlContext): string {
  const n = index + 3;
  return `<section class="drill" id="drill-${esc(v.id)}">
<h2>${n}. ${esc(v.quarter)} · ${esc(v.id)} ${badge(v.status)}</h2>
<p class="drill-title">${esc(v.title)}</p>
<p>${esc(v.description)}</p>
${v.error ? `<p class="alert"><strong>${v.error.aborted ? 'Aborted' : 'Stopped'} in phase ${esc(v.error.phase)}:</strong> ${esc(v.error.message)}. Evidence below was collected before teardown; the drill is inconclusive.</p>` : ''}
<h3>${n}.1 Scenario</h3>
${scenario(v)}
<h3>${n}.2 Objectives vs measured</h3>
${stagesTable(v)}${criteria(v)}
<h3>${n}.3 Timeline</h3>
${timelineFigure(r, index)}
<h3>${n}.4 Recovery time</h3>
${recoveryTime(v)}
<h3>${n}.5 Data loss</h3>
${dataLoss(v)}
<h3>${n}.6 Integrity checks</h3>
${v.checklist ? checklist(v.checklist) : ''}${integrity(v)}
<h3>${n}.7 Runbook steps</h3>
${stepsTable(v)}
<h3>${n}.8 Event log</h3>
${eventLog(v)}
<h3>${n}.9 Deviations</h3>
${deviations(v, ctx.evidence)}
<h3>${n}.10 Teardown and leak check</h3>
${teardown(v)}
<h3>${n}.11 Estate identity and versions</h3>
${estate(v, ctx.drillbookVersion)}
${v.alerts ? `<h3>${n}.12 Alerts</h3>\n${alertsSection(v.alerts)}` : ''}
</section>`;
}
