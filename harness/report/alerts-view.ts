/**
 * The alerts of a drill with monitoring, as every human-readable format shows them: the time scale and the
 * unscaled durations it stands for, one row per alert (pending, firing, each receiver's notice, resolved,
 * relative to t_f), what was wrong, the rules against the live series and the dashboard's panels.
 */
import { formatDuration } from '../core/duration.ts';
import type { AlertsMeasurement } from '../measure/alerts.ts';
import type { DrillRecord } from '../record/record.ts';

export interface AlertRow {
  name: string;
  severity: string;
  /** "yes", or when a stage of the fault announced it: "yes, from t_f + 40 s". */
  expected: string;
  pending: string;
  fired: string;
  /** "email t_f + 9.1 s (resolved + 60.2 s); slack-webhook ..." */
  notified: string;
  resolved: string;
  ok: boolean;
  problems: string[];
}

export interface AlertsView {
  /** One sentence: the scale, and what it made of the rules' and the routing's durations. */
  scale: string;
  /** Each rule: `for` and windows as written, and as run. */
  rules: string[];
  rows: AlertRow[];
  /** Rules that selected no live series before the fault. */
  ruleSeries: string[];
  /** Dashboard panels: "title: data" / "title: NO DATA (expr)". */
  panels: string[];
  files: AlertsMeasurement['files'];
}

const at = (ms: number | undefined) =>
  ms === undefined ? '—' : `t_f ${ms < 0 ? '−' : '+'} ${formatDuration(Math.abs(ms))}`;

export function alertsView(r: DrillRecord): AlertsView | undefined {
  const m = r.measurements?.alerts;
  if (!m) return undefined;
  const timing = Object.entries(m.routeTiming)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return {
    scale:
      m.scale === 1
        ? 'real time: the rules and the routing ran with the durations written in their files'
        : `time scale 1/${m.scale} (--alert-time-scale ${m.scale}): every \`for\`, range window, scrape and evaluation interval (15s as written) and the routing's waits and intervals (${timing || 'defaults'}, as written) ran divided by ${m.scale}`,
    rules: m.rules.map(
      (x) =>
        `${x.name} (${x.severity ?? 'no severity'}): for ${x.for}${x.windows.length ? `, windows ${[...new Set(x.windows)].join(', ')}` : ''} as written; for ${x.scaledFor} as run`,
    ),
    rows: m.alerts.map((a) => ({
      name: a.name,
      severity: a.severity ?? '—',
      expected:
        a.expectation === 'must-not-page'
          ? 'must not page (may go pending)'
          : a.expected
            ? a.expectedAtMs !== undefined
              ? `yes, from ${at(a.expectedAtMs)}`
              : 'yes'
            : 'no',
      pending: at(a.pendingAtMs),
      fired: at(a.firedAtMs),
      notified:
        a.notified
          .map(
            (n) =>
              `${n.receiver} ${n.atMs === undefined ? 'never' : at(n.atMs)}${n.resolvedAtMs !== undefined ? ` (resolved notice ${at(n.resolvedAtMs)})` : ''}`,
          )
          .join('; ') || 'none',
      resolved: at(a.resolvedAtMs),
      ok: a.problems.length === 0,
      problems: a.problems,
    })),
    ruleSeries: m.ruleSeries.map((f) => `${f.rule}: no series for ${f.missing.join(', ')}`),
    panels: m.dashboard.map((p) =>
      p.skipped
        ? `${p.panel}: not judged (${p.skipped})`
        : `${p.panel}: ${p.hasData ? 'returned data' : `NO DATA during the drill (${p.expr})`}`,
    ),
    files: m.files,
  };
}
