/** The alerts subsection of report.html: the time scale, one row per alert, the rules against reality, the panels. */
import type { AlertsView } from '../alerts-view.ts';
import { esc, table } from './parts.ts';

export function alertsSection(a: AlertsView): string {
  return `<p>Rules <code>${esc(a.files.rules)}</code>, routing <code>${esc(a.files.alertmanager)}</code>, dashboard <code>${esc(a.files.dashboard)}</code>; ${esc(a.scale)}.</p>
${table(
  ['alert', 'severity', 'expected', 'pending', 'firing', 'notified', 'resolved', 'result'],
  a.rows.map((r) => [
    esc(r.name),
    esc(r.severity),
    esc(r.expected),
    esc(r.pending),
    esc(r.fired),
    esc(r.notified),
    esc(r.resolved),
    r.ok ? 'ok' : `<span class="fail-text">${esc(r.problems.join('; '))}</span>`,
  ]),
)}
<ul>
${a.rules.map((x) => `<li>${esc(x)}</li>`).join('\n')}
${
  a.ruleSeries.length
    ? a.ruleSeries.map((x) => `<li class="fail-text">Rule against reality: ${esc(x)}</li>`).join('\n')
    : '<li>Rules against reality: every metric each rule selects had live series before the fault</li>'
}
${a.panels.map((x) => `<li>Dashboard panel ${esc(x)}</li>`).join('\n')}
</ul>`;
}
