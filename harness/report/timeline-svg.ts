import { formatDuration } from '../core/duration.ts';
import { steps, type DrillRecord } from '../record/record.ts';
import { ofKind, type PhaseName } from '../measure/timeline.ts';
import { esc } from './escape.ts';
import { keyInstants } from './view.ts';

/**
 * The timeline picture of one drill, as inline SVG (no script, no external resource): phases, the fault as a
 * span, the runbook steps as spans, every probe and canary write as a mark coloured by outcome, and the instants
 * that make the RTO (fault, detection, recovery, confirmation). A pure function of the record.
 */

export interface ChartWindow {
  from: number;
  to: number;
}

/** The whole observed drill (steady state to the end of traffic), and a close-up of the outage when it is small. */
export function chartWindows(r: DrillRecord): { overview: ChartWindow; zoom?: ChartWindow } {
  const probes = ofKind(r.timeline, 'probe');
  const writes = ofKind(r.timeline, 'write');
  const phases = ofKind(r.timeline, 'phase');
  const steady = phases.find((p) => p.phase === 'steady');
  const stepEvents = steps(r);
  // Everything the drill did to the estate and saw from it, from the steady state (or the first preparation
  // step) to the end of traffic or of the runbook, whichever is later; provisioning and teardown are left out.
  const observed = [...probes.map((p) => p.t), ...writes.map((w) => w.t), ...stepEvents.map((st) => st.t)];
  let from = Math.min(steady?.t ?? Infinity, ...observed);
  let to = Math.max(
    ...probes.map((p) => p.end),
    ...writes.map((w) => w.ack ?? w.t),
    ...stepEvents.map((st) => st.end),
    ...phases
      .filter((p) => ['fault', 'procedure', 'recovery', 'after'].includes(p.phase))
      .map((p) => p.end ?? p.t),
  );
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
    from = 0;
    to = Math.max(r.durationMs, 1);
  }
  const pad = (to - from) * 0.01;
  const overview = { from: Math.max(0, from - pad), to: to + pad };
  const k = keyInstants(r);
  const interval = r.settings.probeIntervalMs;
  if (k.faultAt === undefined || k.recoveredAt === undefined) return { overview };
  const lastStepEnd = Math.max(k.recoveredAt, ...steps(r).map((s) => s.end));
  const zoom = {
    from: k.faultAt - 3 * interval,
    to: Math.max(k.recoveredAt + r.settings.consecutive * interval, lastStepEnd) + 3 * interval,
  };
  return zoom.to - zoom.from < 0.45 * (overview.to - overview.from) ? { overview, zoom } : { overview };
}

const W = 1000;
const X0 = 165;
const X1 = 985;
const LANE_H = 24;
const LANE_GAP = 7;
const LEVEL_H = 16;
const CHAR_W = 7.2;

const PHASE_FILL: Partial<Record<PhaseName, string>> = {
  provision: '#eceff1',
  prepare: '#fff8e1',
  steady: '#e3f2fd',
  fault: '#ffebee',
  procedure: '#ede7f6',
  recovery: '#e8f5e9',
  after: '#f1f8e9',
};

export const COLORS = {
  ok: '#2e7d32',
  fail: '#c62828',
  refused: '#9e9e9e',
  indeterminate: '#ef8f00',
  lost: '#b00020',
  step: '#3f51b5',
  stepAlt: '#7986cb',
  fault: '#c62828',
  detect: '#ef8f00',
  recovered: '#2e7d32',
  confirmed: '#1b5e20',
  aborted: '#6a1b9a',
} as const;

interface Marker {
  t: number;
  label: string;
  color: string;
  dashed?: boolean;
}

/** The time axis is relative to the fault when there was one: auditors read "t_f + 189 ms". */
function relLabel(ms: number): string {
  if (Math.abs(ms) < 1e-9) return '0';
  return `${ms < 0 ? '−' : '+'}${formatDuration(Math.abs(ms))}`;
}

function niceStep(span: number, target = 8): number {
  const raw = span / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** One chart. `id` must be unique in the page (it names the clip path). */
export function timelineSvg(r: DrillRecord, win: ChartWindow, opts: { id: string; title: string }): string {
  const span = win.to - win.from;
  const x = (t: number) => X0 + ((t - win.from) / span) * (X1 - X0);
  const clampX = (t: number) => Math.min(X1, Math.max(X0, x(t)));
  const inWin = (t: number) => t >= win.from && t <= win.to;
  const n = (v: number) => v.toFixed(1);
  const k = keyInstants(r);
  const origin = k.faultAt ?? 0;
  const originName = k.faultAt !== undefined ? 't_f' : 'start';
  const at = (t: number) => {
    if (k.faultAt === undefined) return relLabel(t);
    const d = relLabel(t - origin);
    return d === '0' ? 't_f' : `t_f ${d}`;
  };

  // Markers and the label band above the lanes, in levels so labels do not overlap.
  const markers: Marker[] = [];
  if (k.faultAt !== undefined)
    markers.push({ t: k.faultAt, label: 'fault injected (t_f)', color: COLORS.fault });
  if (k.detectedAt !== undefined)
    markers.push({
      t: k.detectedAt,
      label: `first failed probe ${relLabel(k.detectedAt - origin)}`,
      color: COLORS.detect,
    });
  if (k.recoveredAt !== undefined)
    markers.push({
      t: k.recoveredAt,
      label: `recovered (t_r) ${relLabel(k.recoveredAt - origin)}`,
      color: COLORS.recovered,
    });
  if (k.confirmedAt !== undefined)
    markers.push({ t: k.confirmedAt, label: 'recovery confirmed', color: COLORS.confirmed, dashed: true });
  if (k.abortedAt !== undefined)
    markers.push({
      t: k.abortedAt,
      label: r.error?.aborted ? 'aborted' : 'drill stopped',
      color: COLORS.aborted,
    });
  const visible = markers.filter((m) => inWin(m.t)).sort((a, b) => a.t - b.t);
  const levels: number[][] = [];
  const placed = visible.map((m) => {
    const w = m.label.length * CHAR_W;
    const mx = x(m.t);
    const anchorEnd = mx + 4 + w > W - 4;
    const left = anchorEnd ? mx - 4 - w : mx + 4;
    let level = levels.findIndex((ends) => ends.every((e) => left > e + 8));
    if (level < 0) {
      levels.push([]);
      level = levels.length - 1;
    }
    levels[level]?.push(left + w);
    return { ...m, mx, anchorEnd, level };
  });
  const bandH = Math.max(1, levels.length) * LEVEL_H + 4;
  const rtoRow = k.faultAt !== undefined && k.recoveredAt !== undefined ? 18 : 0;
  const top = 26 + bandH + rtoRow;
  const alertEvents = ofKind(r.timeline, 'alert');
  const laneNames = [
    'Phases',
    'Fault',
    'Runbook steps',
    `Probes (${r.settings.probePath})`,
    'Canary writes',
    ...(alertEvents.length ? ['Alerts firing'] : []),
  ];
  const laneY = laneNames.map((_, i) => top + i * (LANE_H + LANE_GAP));
  const bottom = (laneY.at(-1) ?? top) + LANE_H;
  const height = bottom + 30;
  const out: string[] = [];
  const title = (s: string) => `<title>${esc(s)}</title>`;

  out.push(
    `<svg class="timeline" role="img" aria-labelledby="${opts.id}-t" viewBox="0 0 ${W} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${opts.id}-t">${esc(opts.title)}</title>`,
    `<defs><clipPath id="${opts.id}-clip"><rect x="${X0}" y="0" width="${X1 - X0}" height="${height}"/></clipPath></defs>`,
    `<text x="0" y="14" class="tl-title">${esc(opts.title)}</text>`,
    `<text x="${W - 2}" y="14" class="tl-sub" text-anchor="end">${esc(`${formatDuration(span)} shown; axis relative to ${originName === 't_f' ? 'the fault (t_f)' : 'the drill start'}`)}</text>`,
  );

  // Lanes: background, name.
  for (const [i, name] of laneNames.entries()) {
    const y = laneY[i] ?? 0;
    out.push(
      `<rect x="${X0}" y="${y}" width="${X1 - X0}" height="${LANE_H}" class="tl-lane"/>`,
      `<text x="${X0 - 8}" y="${y + LANE_H / 2 + 4}" text-anchor="end" class="tl-lane-name">${esc(name)}</text>`,
    );
  }

  // Axis and grid.
  const step = niceStep(span);
  const first = Math.ceil((win.from - origin) / step) * step + origin;
  for (let t = first; t <= win.to + 1e-9; t += step) {
    const gx = n(x(t));
    out.push(
      `<line x1="${gx}" x2="${gx}" y1="${top - 2}" y2="${bottom + 4}" class="tl-grid"/>`,
      `<text x="${gx}" y="${bottom + 19}" text-anchor="middle" class="tl-axis">${esc(k.faultAt !== undefined && Math.abs(t - origin) < 1e-9 ? 't_f' : relLabel(t - origin))}</text>`,
    );
  }
  out.push(`<line x1="${X0}" x2="${X1}" y1="${bottom + 4}" y2="${bottom + 4}" class="tl-axis-line"/>`);

  out.push(`<g clip-path="url(#${opts.id}-clip)">`);
  // Phases.
  const [yPhase = 0, yFault = 0, yStep = 0, yProbe = 0, yWrite = 0, yAlert = 0] = laneY;
  for (const p of ofKind(r.timeline, 'phase')) {
    const end = p.end ?? r.durationMs;
    if (end < win.from || p.t > win.to) continue;
    const x0 = clampX(p.t);
    const w = Math.max(1, clampX(end) - x0);
    const fill = p.ok === false ? '#fde0e0' : (PHASE_FILL[p.phase] ?? '#f5f5f5');
    out.push(
      `<rect x="${n(x0)}" y="${yPhase}" width="${n(w)}" height="${LANE_H}" fill="${fill}" class="tl-phase">${title(`phase ${p.phase}: ${at(p.t)} to ${at(end)} (${formatDuration(end - p.t)})${p.ok === false ? `, failed: ${p.error ?? ''}` : ''}`)}</rect>`,
    );
    if (w > p.phase.length * CHAR_W + 8)
      out.push(
        `<text x="${n(x0 + w / 2)}" y="${yPhase + 16}" text-anchor="middle" class="tl-in">${esc(p.phase)}</text>`,
      );
  }
  // Faults: from injection to revert.
  const faults = ofKind(r.timeline, 'fault');
  for (const inj of faults.filter((f) => f.state === 'injected')) {
    const end = faults.find(
      (f) =>
        f.t >= inj.t &&
        f.name === inj.name &&
        f.target === inj.target &&
        f.state !== 'injected' &&
        f.state !== 'intent',
    );
    const endT = end?.t ?? r.durationMs;
    if (endT < win.from || inj.t > win.to) continue;
    const x0 = clampX(inj.t);
    const w = Math.max(2, clampX(endT) - x0);
    const label = `${inj.name} → ${inj.target}`;
    out.push(
      `<rect x="${n(x0)}" y="${yFault}" width="${n(w)}" height="${LANE_H}" class="tl-fault">${title(`fault ${label}${inj.detail ? ` (${inj.detail})` : ''}: injected at ${at(inj.t)}, ${end ? `${end.state} at ${at(end.t)}` : 'never reverted'}`)}</rect>`,
      `<rect x="${n(x0)}" y="${yFault}" width="3" height="${LANE_H}" fill="${COLORS.fault}"/>`,
    );
    if (w > label.length * CHAR_W + 12)
      out.push(`<text x="${n(x0 + 8)}" y="${yFault + 16}" class="tl-in tl-fault-text">${esc(label)}</text>`);
    if (end?.state === 'revert-failed')
      out.push(
        `<text x="${n(clampX(endT) - 4)}" y="${yFault + 16}" text-anchor="end" class="tl-in">revert failed</text>`,
      );
  }
  // Runbook steps.
  for (const [i, s] of steps(r).entries()) {
    if (s.end < win.from || s.t > win.to) continue;
    const x0 = clampX(s.t);
    const w = Math.max(2, clampX(s.end) - x0);
    out.push(
      `<rect x="${n(x0)}" y="${yStep + 2}" width="${n(w)}" height="${LANE_H - 4}" rx="2" fill="${s.ok ? (i % 2 ? COLORS.stepAlt : COLORS.step) : COLORS.fail}" class="tl-step">${title(`step ${i + 1}: ${s.name}: ${s.ok ? 'ok' : 'FAILED'} in ${formatDuration(s.durationMs)}, ${at(s.t)} to ${at(s.end)}${s.exitCode !== undefined ? `, exit ${s.exitCode}` : ''}${s.error ? `: ${s.error}` : ''}`)}</rect>`,
    );
    if (w >= 14)
      out.push(
        `<text x="${n(x0 + w / 2)}" y="${yStep + 16}" text-anchor="middle" class="tl-step-num">${i + 1}</text>`,
      );
  }

  // Probes and writes: one mark per event, merged per 2 px column so long drills stay small. Failures are drawn
  // taller than successes, so the picture reads in grey print too.
  type Mark = { t: number; kind: 'ok' | 'fail' | 'refused' | 'indeterminate' | 'lost'; what: string };
  const rank = { ok: 0, refused: 1, indeterminate: 2, fail: 3, lost: 4 } as const;
  const marks = (items: Mark[], y: number, noun: string) => {
    const cols = new Map<number, Mark[]>();
    for (const m of items) {
      if (!inWin(m.t)) continue;
      const c = Math.floor(x(m.t) / 2);
      cols.set(c, [...(cols.get(c) ?? []), m]);
    }
    for (const [c, ms] of cols) {
      const worst = ms.reduce((a, b) => (rank[b.kind] > rank[a.kind] ? b : a));
      const tall = worst.kind === 'fail' || worst.kind === 'lost';
      const h = tall ? LANE_H - 2 : worst.kind === 'ok' ? LANE_H * 0.5 : LANE_H * 0.75;
      const color = COLORS[worst.kind];
      const tip =
        ms.length === 1
          ? worst.what
          : `${ms.length} ${noun}: ${Object.entries(
              ms.reduce<Record<string, number>>((a, m) => ({ ...a, [m.kind]: (a[m.kind] ?? 0) + 1 }), {}),
            )
              .map(([kind, count]) => `${count} ${kind}`)
              .join(', ')}`;
      out.push(
        `<rect x="${n(c * 2 - 0.5)}" y="${n(y + (LANE_H - h) / 2)}" width="2.6" height="${n(h)}" fill="${color}">${title(tip)}</rect>`,
      );
    }
  };
  marks(
    ofKind(r.timeline, 'probe').map((p) => ({
      t: p.t,
      kind: p.ok ? 'ok' : 'fail',
      what: `probe #${p.seq} at ${at(p.t)}: ${p.ok ? 'ok' : 'FAILED'}${p.status !== undefined ? ` ${p.status}` : ''}${p.error ? ` ${p.error}` : ''}${p.servedBy ? `, served by ${p.servedBy}` : ''}${p.dbPort ? ` (db port ${p.dbPort})` : ''}`,
    })),
    yProbe,
    'probes',
  );
  const lost = new Set(
    (r.measurements?.rpo?.lostSeqRanges ?? []).flatMap(([a, b]) =>
      Array.from({ length: b - a + 1 }, (_, i) => a + i),
    ),
  );
  marks(
    ofKind(r.timeline, 'write').map((w) => {
      const kind = lost.has(w.seq)
        ? 'lost'
        : w.outcome === 'ok'
          ? 'ok'
          : w.outcome === 'fail'
            ? 'refused'
            : 'indeterminate';
      const word = {
        ok: 'acknowledged',
        lost: 'acknowledged, then LOST',
        refused: 'refused (not committed)',
        indeterminate: 'indeterminate',
        fail: '',
      }[kind];
      return {
        t: w.t,
        kind,
        what: `write #${w.seq} at ${at(w.t)}: ${word}${w.status !== undefined ? ` (${w.status})` : ''}`,
      };
    }),
    yWrite,
    'writes',
  );
  // Alerts: a span from firing to resolved per rule (stacked thinly), a tick per notification.
  const names = [...new Set(alertEvents.filter((e) => e.state === 'firing').map((e) => e.name))];
  const h = Math.max(2, (LANE_H - 2) / Math.max(1, names.length));
  for (const [i, name] of names.entries()) {
    const own = alertEvents.filter((e) => e.name === name);
    for (const f of own.filter((e) => e.state === 'firing')) {
      const end = own.find((e) => e.state === 'resolved' && e.t >= f.t)?.t ?? win.to;
      const x0 = clampX(f.t);
      out.push(
        `<rect x="${n(x0)}" y="${n(yAlert + 1 + i * h)}" width="${n(Math.max(2, clampX(end) - x0))}" height="${n(Math.max(1, h - 1))}" fill="${COLORS.fail}" opacity="0.75">${title(`${name} firing from ${at(f.t)}${end < win.to ? ` to ${at(end)}` : ', never resolved'}`)}</rect>`,
      );
    }
    for (const nt of own.filter((e) => e.state === 'notified' && inWin(e.t)))
      out.push(
        `<rect x="${n(x(nt.t) - 0.5)}" y="${n(yAlert + 1 + i * h)}" width="1.5" height="${n(Math.max(1, h - 1))}" fill="${nt.status === 'resolved' ? COLORS.ok : '#000'}">${title(`${nt.status ?? 'firing'} notice of ${name} at ${nt.receiver ?? '?'} at ${at(nt.t)}`)}</rect>`,
      );
  }
  out.push('</g>');

  // The RTO bracket, then the markers over all lanes with their labels in the band.
  if (rtoRow && k.faultAt !== undefined && k.recoveredAt !== undefined && inWin(k.faultAt)) {
    const a = x(k.faultAt);
    const b = clampX(k.recoveredAt);
    const y = top - 10;
    const label = `RTO ${formatDuration(k.recoveredAt - k.faultAt)}`;
    const fits = b - a > label.length * CHAR_W + 10;
    out.push(
      `<g class="tl-rto"><line x1="${n(a)}" x2="${n(b)}" y1="${y}" y2="${y}"/><line x1="${n(a)}" x2="${n(a)}" y1="${y - 4}" y2="${y + 4}"/><line x1="${n(b)}" x2="${n(b)}" y1="${y - 4}" y2="${y + 4}"/>`,
      fits
        ? `<text x="${n((a + b) / 2)}" y="${y - 3}" text-anchor="middle">${esc(label)}</text></g>`
        : `<text x="${n(b + 5)}" y="${y + 4}">${esc(label)}</text></g>`,
    );
  }
  for (const m of placed) {
    const ly = 26 + m.level * LEVEL_H + 10;
    out.push(
      `<line x1="${n(m.mx)}" x2="${n(m.mx)}" y1="${ly + 3}" y2="${bottom}" stroke="${m.color}" class="tl-marker${m.dashed ? ' tl-dashed' : ''}"/>`,
      `<text x="${n(m.anchorEnd ? m.mx - 4 : m.mx + 4)}" y="${ly}" ${m.anchorEnd ? 'text-anchor="end" ' : ''}fill="${m.color}" class="tl-marker-label">${esc(m.label)}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
