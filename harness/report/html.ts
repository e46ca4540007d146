import { formatDuration } from '../core/duration.ts';
import { drillStatus, phaseDurations, steps, type DrillRecord, type DrillStatus } from '../record/record.ts';
import { ofKind } from '../measure/timeline.ts';
import { esc } from './escape.ts';
import { missingEvidence, type EvidenceInput, type MissingField } from './evidence.ts';
import type { ManifestFile } from './manifest.ts';
import type { RunSummary } from './summary.ts';
import { chartWindows, COLORS, keyInstants, timelineSvg } from './timeline-svg.ts';

/** What the HTML report shows besides the records: people's input, the evidence written so far, signing. */
export interface HtmlContext {
  evidence?: EvidenceInput;
  /** Artifacts written before report.html, with their hashes (report.html cannot carry its own). */
  artifacts: readonly ManifestFile[];
  events?: { lines: number; head: string };
  signing: { signed: true; fingerprint: string } | { signed: false };
  /** 1 when `drill run` wrote it; higher when re-issued by `drill report --evidence`. */
  revision: number;
  generatedAt: string;
  drillbookVersion: string;
}

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));
const VERDICT_WORD: Record<DrillStatus, string> = {
  passed: 'PASSED',
  failed: 'FAILED',
  error: 'ERROR (inconclusive)',
};

function badge(status: DrillStatus, big = false): string {
  return `<span class="badge badge-${status}${big ? ' badge-big' : ''}">${VERDICT_WORD[status]}</span>`;
}
function pass(ok: boolean): string {
  return ok ? '<span class="badge badge-passed">PASS</span>' : '<span class="badge badge-failed">FAIL</span>';
}
function missing(why: string): string {
  return `<span class="missing">MISSING</span> <span class="missing-why">${esc(why)}</span>`;
}
function kv(rows: readonly (readonly [string, string])[]): string {
  return `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}
function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  return `<table class="grid ${cls}"><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}
function code(s: string): string {
  return `<code>${esc(s)}</code>`;
}
function wall(r: DrillRecord, t: number): string {
  const start = Date.parse(r.startedAt);
  return Number.isFinite(start) ? new Date(start + t).toISOString() : '';
}
/** "t_f + 95 ms" when the drill had a fault, else "+2.79 s" since the drill started. */
function rel(r: DrillRecord, t: number): string {
  const tf = keyInstants(r).faultAt;
  if (tf === undefined) return `start + ${formatDuration(t)}`;
  const d = t - tf;
  return Math.abs(d) < 0.0005 ? 't_f' : `t_f ${d < 0 ? '−' : '+'} ${formatDuration(Math.abs(d))}`;
}

/**
 * report.html: the run for an auditor, covering every field of docs EVIDENCE.md, self-contained (inline CSS and
 * SVG, no script, no font or image fetched; a Content-Security-Policy forbids any fetch) and legible in print.
 * A pure function of the summary, the records and the context.
 */
export function renderHtml(summary: RunSummary, records: readonly DrillRecord[], ctx: HtmlContext): string {
  const missingFields = missingEvidence(ctx.evidence, summary.status === 'passed');
  const draft = missingFields.length > 0;
  const reportId = `${summary.runId}.r${ctx.revision}`;
  const body = [
    draft ? '<div class="watermark" aria-hidden="true">DRAFT</div>' : '',
    masthead(summary, reportId, draft),
    draft ? draftBanner(missingFields) : '',
    glance(summary, records, ctx),
    identification(summary, records, ctx, reportId),
    people(ctx.evidence, missingFields),
    ...records.map((r, i) => drillSection(r, i, ctx)),
    findings(records, ctx.evidence, missingFields),
    manifestSection(summary, ctx),
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

function masthead(summary: RunSummary, reportId: string, draft: boolean): string {
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

function draftBanner(fields: readonly MissingField[]): string {
  return `<section class="draft-banner" aria-label="draft">
<strong>DRAFT: not yet an audit record.</strong> ${fields.length} field${fields.length === 1 ? '' : 's'} that people must fill ${fields.length === 1 ? 'is' : 'are'} missing:
${fields.map((f) => `<strong>${esc(f.field)}</strong>`).join(', ')}.
Add them with ${code('drill report <run-dir> --evidence FILE')} (see the People and sign-off section).
</section>`;
}

function glance(summary: RunSummary, records: readonly DrillRecord[], ctx: HtmlContext): string {
  const passed = records.filter((r) => drillStatus(r) === 'passed').length;
  const lost = summary.drills.reduce((a, d) => a + (d.measured.lostAckedWrites ?? 0), 0);
  const acked = summary.drills.reduce((a, d) => a + (d.measured.ackedWrites ?? 0), 0);
  const one = summary.drills.length === 1 ? summary.drills[0] : undefined;
  const cards: [string, string, string][] = [
    [
      'Overall verdict',
      VERDICT_WORD[summary.status],
      `${passed} of ${records.length} drill${records.length === 1 ? '' : 's'} passed`,
    ],
    one
      ? ['RTO measured', fmt(one.measured.rtoMs), `objective ${fmt(one.objectives.rtoMs)}`]
      : ['Drills', String(records.length), summary.drills.map((d) => d.id).join(', ')],
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

function identification(
  summary: RunSummary,
  records: readonly DrillRecord[],
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
  ['Scope', records.map((r) => `${esc(r.drill.id)}: ${esc(scope(r))}`).join('<br>')],
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

function scope(r: DrillRecord): string {
  const parts = ['PostgreSQL primary'];
  if (r.settings.replication) parts.push(`hot standby (${r.settings.replication} streaming replication)`);
  if (r.estate?.redisVersion) parts.push('Redis');
  parts.push(
    `application ${r.estate?.appVersion ?? ''}`.trim(),
    'traffic router (stable endpoints clients use)',
  );
  return parts.join(', ');
}

function people(ev: EvidenceInput | undefined, miss: readonly MissingField[]): string {
  const why = (field: string) => miss.find((m) => m.field === field);
  const cell = (value: string | undefined, field: string) => {
    const m = why(field);
    if (m) return `${value ? `${esc(value)} ` : ''}${missing(m.why)}`;
    return value ? esc(value) : '<span class="muted">—</span>';
  };
  const participants = ev?.participants.length
    ? table(
        ['name', 'role'],
        ev.participants.map((p) => [esc(p.name), esc(p.role)]),
        'compact',
      )
    : missing('who took part, and in which role');
  return `<section><h2>2. People and sign-off</h2>
<p class="muted">Entered by people (${code('--evidence FILE')}); drillbook cannot know them. Missing entries keep this report a draft.</p>
${kv([
  ['Participants and roles', participants],
  ['Controller', cell(ev?.controller, 'controller')],
  ['Independent validator', cell(ev?.validator, 'validator')],
  [
    'Sign-off',
    ev?.signOff
      ? `${esc(ev.signOff.name)}${ev.signOff.role ? `, ${esc(ev.signOff.role)}` : ''}, ${esc(ev.signOff.date)}`
      : missing('name and date of whoever accepts this report'),
  ],
])}
</section>`;
}

function drillSection(r: DrillRecord, index: number, ctx: HtmlContext): string {
  const status = drillStatus(r);
  const n = index + 3;
  const k = keyInstants(r);
  const win = chartWindows(r);
  const charts = [
    timelineSvg(r, win.overview, {
      id: `tl-${index}-all`,
      title: 'Whole drill (provisioning and teardown left out)',
    }),
    ...(win.zoom
      ? [
          timelineSvg(r, win.zoom, {
            id: `tl-${index}-zoom`,
            title: 'Close-up of the outage: fault to confirmed recovery',
          }),
        ]
      : []),
  ];
  return `<section class="drill" id="drill-${esc(r.drill.id)}">
<h2>${n}. ${esc(r.drill.quarter)} · ${esc(r.drill.id)} ${badge(status)}</h2>
<p class="drill-title">${esc(r.drill.title)}</p>
<p>${esc(r.drill.description)}</p>
${r.error ? `<p class="alert"><strong>${r.error.aborted ? 'Aborted' : 'Stopped'} in phase ${esc(r.error.phase)}:</strong> ${esc(r.error.message)}. Evidence below was collected before teardown; the drill is inconclusive.</p>` : ''}
<h3>${n}.1 Scenario</h3>
${scenario(r)}
<h3>${n}.2 Objectives vs measured</h3>
${table(
  ['criterion', 'objective', 'measured', 'verdict', 'finding'],
  r.criteria.map((c) => [
    `<strong>${esc(c.name)}</strong>`,
    esc(c.objective),
    esc(c.measured),
    pass(c.passed),
    esc(c.message),
  ]),
  'criteria',
)}
${r.criteria.length === 0 ? '<p class="alert">No criterion could be evaluated: the drill is inconclusive (error).</p>' : ''}
<p class="muted">Objectives from ${esc(objectiveSource(r))}. Verdict for the drill: ${badge(status)}</p>
<h3>${n}.3 Timeline</h3>
<figure class="chart">${charts.join('\n')}
<figcaption>${legend()}</figcaption></figure>
<h3>${n}.4 Recovery time</h3>
${recoveryTime(r, k)}
<h3>${n}.5 Data loss</h3>
${dataLoss(r)}
<h3>${n}.6 Integrity checks</h3>
${integrity(r)}
<h3>${n}.7 Runbook steps</h3>
${stepsTable(r)}
<h3>${n}.8 Event log</h3>
${eventLog(r, k)}
<h3>${n}.9 Deviations</h3>
${deviations(r, ctx.evidence)}
<h3>${n}.10 Teardown and leak check</h3>
${teardown(r)}
<h3>${n}.11 Estate identity and versions</h3>
${estate(r, ctx.drillbookVersion)}
</section>`;
}

function objectiveSource(r: DrillRecord): string {
  const s = [
    r.objectiveSources.rto &&
      `RTO: ${r.objectiveSources.rto === 'override' ? 'overridden on the command line for this run' : 'the scenario (DR plan)'}`,
    r.objectiveSources.rpo &&
      `RPO: ${r.objectiveSources.rpo === 'override' ? 'overridden on the command line for this run' : 'the scenario (DR plan)'}`,
  ].filter(Boolean);
  return s.length ? s.join('; ') : 'nowhere: this drill declares no RTO/RPO objective';
}

function scenario(r: DrillRecord): string {
  const faults = ofKind(r.timeline, 'fault').filter((f) => f.state === 'injected');
  const rb = r.runbook;
  return kv([
    ['Scenario file', r.drill.source ? code(r.drill.source) : esc(r.drill.id)],
    ['Runbook section exercised', esc(r.drill.runbookSection)],
    [
      'Runbook under test',
      rb
        ? `${code(rb.path)} · sha256 ${code(rb.sha256)}${rb.gitCommit ? ` · git commit ${code(rb.gitCommit)}` : ''}`
        : `<span class="muted">no runbook document recorded: the procedure is the step list of ${r.drill.source ? code(r.drill.source) : 'the scenario'} (see Runbook steps)</span>`,
    ],
    [
      'Fault and parameters',
      faults.length
        ? faults
            .map(
              (f) =>
                `${code(f.name)} on ${esc(f.target)}${f.detail ? ` (${esc(f.detail)})` : ''}, injected at ${esc(wall(r, f.t))}`,
            )
            .join('<br>')
        : '<span class="muted">no fault was injected</span>',
    ],
    ['Switchover direction', esc(switchover(r))],
    [
      'Measurement',
      esc(
        `probes of ${r.settings.probePath} every ${fmt(r.settings.probeIntervalMs)} through the router (${ofKind(r.timeline, 'probe').length} sent); canary writes every ${fmt(r.settings.writeIntervalMs)} (${ofKind(r.timeline, 'write').length} sent); recovered = ${r.settings.consecutive} consecutive successful probes with no failure for ${fmt(r.settings.settleMs)} after`,
      ),
    ],
  ]);
}

/** Which database the app's traffic went to before the fault and at the end, as the probes saw it. */
function switchover(r: DrillRecord): string {
  const names = new Map<number, string>();
  for (const note of ofKind(r.timeline, 'note')) {
    const m = /^(\S+) .* on [\w.[\]:-]+:(\d+)$/.exec(note.message);
    if (m?.[1] && m[2]) names.set(Number(m[2]), m[1]);
  }
  const tf = keyInstants(r).faultAt;
  const withDb = ofKind(r.timeline, 'probe').filter((p) => p.ok && p.dbPort !== undefined);
  const before = withDb.filter((p) => tf === undefined || p.t < tf).at(-1);
  const after = withDb.at(-1);
  const name = (port: number) => `${names.get(port) ?? 'database'} (port ${port})`;
  if (!before?.dbPort || !after?.dbPort) return 'not observed (no successful probe reported its database)';
  if (before.dbPort === after.dbPort) return `none: traffic stayed on ${name(before.dbPort)}`;
  return `${name(before.dbPort)} → ${name(after.dbPort)}, as observed by the probes before the fault and at the end`;
}

function legend(): string {
  const sw = (color: string, label: string, tall = false) =>
    `<span class="lg"><svg width="10" height="14" aria-hidden="true"><rect x="3" y="${tall ? 0 : 4}" width="4" height="${tall ? 14 : 7}" fill="${color}"/></svg>${esc(label)}</span>`;
  const line = (color: string, label: string) =>
    `<span class="lg"><svg width="14" height="14" aria-hidden="true"><line x1="7" x2="7" y1="0" y2="14" stroke="${color}" stroke-width="2"/></svg>${esc(label)}</span>`;
  return [
    sw(COLORS.ok, 'probe ok / write acknowledged'),
    sw(COLORS.fail, 'probe failed', true),
    sw(COLORS.refused, 'write refused (not committed)'),
    sw(COLORS.indeterminate, 'write indeterminate'),
    sw(COLORS.lost, 'acknowledged write LOST', true),
    sw(COLORS.step, 'runbook step (numbered as in the steps table)', true),
    line(COLORS.fault, 'fault injected (t_f)'),
    line(COLORS.detect, 'first failed probe'),
    line(COLORS.recovered, 'recovered (t_r)'),
  ].join(' ');
}

function recoveryTime(r: DrillRecord, k: ReturnType<typeof keyInstants>): string {
  const rto = r.measurements?.rto;
  if (!rto)
    return k.faultAt === undefined && !r.error
      ? '<p class="muted">Not applicable: this drill injects no fault; it verifies a procedure and is judged by its checks.</p>'
      : '<p class="muted">Not measured: the drill stopped before recovery could be observed.</p>';
  if (rto.status !== 'recovered')
    return `<p class="alert">Not recovered: ${esc(rto.reason)} (${rto.failedProbes} of ${rto.probesAfterFault} probes after the fault failed).</p>`;
  const tf = k.faultAt ?? 0;
  const firstStep = steps(r).find((s) => s.t >= tf && s.phase !== 'prepare');
  const row = (name: string, what: string, from: number | undefined, to: number | undefined) => [
    `<strong>${esc(name)}</strong>`,
    esc(what),
    from !== undefined ? esc(rel(r, from)) : '—',
    to !== undefined ? esc(rel(r, to)) : '—',
    from !== undefined && to !== undefined ? esc(formatDuration(to - from)) : '—',
  ];
  const rows = [
    row('detect', 'fault until the first failed probe (clients saw it)', tf, k.detectedAt),
    row(
      'decide',
      'fault until the first runbook step (automated here; on-call decision time in an incident)',
      tf,
      firstStep?.t,
    ),
    row('recover', 'first runbook step until recovery (t_r)', firstStep?.t, k.recoveredAt),
    row(
      'stable',
      `t_r until recovery confirmed (${r.settings.consecutive} successes, no failure for ${fmt(r.settings.settleMs)})`,
      k.recoveredAt,
      k.confirmedAt,
    ),
  ];
  return `${kv([
    [
      'Measured RTO',
      `<strong>${esc(formatDuration(rto.rtoMs))}</strong> = t_r − t_f (resolution ±${esc(fmt(rto.resolutionMs))}, the probe interval)`,
    ],
    ['Objective', esc(fmt(r.objectives.rtoMs))],
    [
      'Probes after the fault',
      esc(
        `${rto.probesAfterFault}, of which ${rto.failedProbes} failed${rto.outage ? '' : ' (no outage visible to clients)'}`,
      ),
    ],
  ])}
${table(['phase', 'what', 'from', 'to', 'duration'], rows, 'compact')}`;
}

function dataLoss(r: DrillRecord): string {
  const rpo = r.measurements?.rpo;
  if (!rpo) return '<p class="muted">Not measured: no canary read-back (the drill stopped before it).</p>';
  const ranges = rpo.lostSeqRanges.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ');
  const refused = rpo.sentWrites - rpo.ackedWrites - rpo.recoveredWrites - rpo.indeterminateAbsent;
  return kv([
    [
      'Measured RPO',
      `<strong>${esc(formatDuration(rpo.rpoMs))}</strong> (objective ${esc(fmt(r.objectives.rpoMs))}); window = t_f − ack time of the last safe write before the first lost one`,
    ],
    [
      'Canary writes',
      esc(
        `${rpo.sentWrites} sent, ${rpo.ackedWrites} acknowledged, ${refused} refused (the application said not committed)`,
      ),
    ],
    [
      'Lost acknowledged writes',
      `<strong>${rpo.lostAckedWrites}</strong>${ranges ? ` (seq ${esc(ranges)})` : ''}; acknowledged before the fault: ${rpo.lostBeforeFault}, after: ${rpo.lostAfterFault}`,
    ],
    ...(rpo.lastSafeSeq !== undefined
      ? [
          [
            'Last safe write',
            esc(`seq ${rpo.lastSafeSeq}; first lost seq ${rpo.firstLostSeq ?? '?'}`),
          ] as const,
        ]
      : []),
    [
      'Indeterminate writes',
      esc(
        `${rpo.recoveredWrites} present afterwards, ${rpo.indeterminateAbsent} absent (never acknowledged, so not counted as lost)`,
      ),
    ],
    [
      'Restore target vs reached',
      restoreChecks(r) || '<span class="muted">not applicable: no restore from backup in this drill</span>',
    ],
  ]);
}

/** Checks about a point-in-time restore (target vs reached), when the drill restored from a backup. */
function restoreChecks(r: DrillRecord): string {
  return (r.checks ?? [])
    .filter((c) => /restore|target|reached|recovery point/i.test(c.name))
    .map((c) => `${pass(c.passed)} ${esc(`${c.name}: expected ${c.expected}, reached ${c.actual}`)}`)
    .join('<br>');
}

function integrity(r: DrillRecord): string {
  const rpo = r.measurements?.rpo;
  const m = r.measurements;
  const rows: string[][] = [];
  for (const c of r.checks ?? [])
    rows.push([esc(c.name), esc(`expected ${c.expected}`), esc(c.actual), pass(c.passed)]);
  if (rpo && m) {
    const present = (m.presentSeqRanges ?? []).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ');
    rows.push(
      [
        'canary read-back',
        esc('SELECT of every canary row from the authoritative database after recovery'),
        esc(`${m.canaryRowsRead ?? 0} rows read${present ? `; seqs present: ${present}` : ''}`),
        pass(true),
      ],
      [
        'acknowledged rows present',
        esc('every acknowledged write is in the database'),
        esc(`${rpo.ackedWrites - rpo.lostAckedWrites} of ${rpo.ackedWrites}`),
        pass(rpo.lostAckedWrites === 0),
      ],
      [
        'no unexpected rows',
        esc('no row that was never sent'),
        esc(`${rpo.unexpectedSeqs.length} unexpected`),
        pass(rpo.unexpectedSeqs.length === 0),
      ],
      [
        'refused writes absent',
        esc('no write the application refused was committed anyway'),
        esc(`${rpo.failedButPresent} refused but present`),
        pass(rpo.failedButPresent === 0),
      ],
    );
  }
  for (const s of steps(r).filter((s) => /^(verify|check|confirm)\b/.test(s.name)))
    rows.push([esc(s.name), esc(s.source ?? 'runbook step'), esc(s.detail ?? s.error ?? ''), pass(s.ok)]);
  for (const c of r.criteria.filter((c) => c.name === 'data-integrity' || c.name === 'canary'))
    rows.push([`${esc(c.name)} criterion`, esc(c.objective), esc(c.measured), pass(c.passed)]);
  if (rows.length === 0)
    return '<p class="muted">No integrity check ran (the drill stopped before the read-back).</p>';
  return table(['check', 'how / expected', 'result', 'verdict'], rows, 'compact');
}

function stepsTable(r: DrillRecord): string {
  const all = steps(r);
  if (all.length === 0) return '<p class="muted">No runbook step ran.</p>';
  return `${table(
    ['#', 'step', 'source', 'start', 'end', 'duration', 'exit code', 'result'],
    all.map((s, i) => [
      String(i + 1),
      `<strong>${esc(s.name)}</strong>${s.phase === 'prepare' ? ' <span class="small muted">(preparation, before the fault)</span>' : ''}${s.output ? `<pre class="output">${esc(lastLines(s.output, 12))}</pre>` : ''}`,
      `<span class="small">${esc(s.source ?? '—')}</span>`,
      `<span class="nw">${esc(rel(r, s.t))}</span><br><span class="small muted">${esc(wall(r, s.t).slice(11))}</span>`,
      `<span class="nw">${esc(rel(r, s.end))}</span>`,
      esc(formatDuration(s.durationMs)),
      s.exitCode !== undefined ? esc(String(s.exitCode)) : '<span class="muted">—</span>',
      `${pass(s.ok)} ${esc(s.ok ? (s.detail ?? '') : (s.error ?? s.detail ?? ''))}`,
    ]),
    'steps',
  )}${all.some((s) => s.exitCode === undefined) ? '<p class="small muted">— in the exit code column: the step ran in-process (TypeScript against the estate), not as a command.</p>' : ''}`;
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.length > n
    ? [`… ${lines.length - n} earlier lines in the drill's JSON record`, ...lines.slice(-n)].join('\n')
    : text;
}

function eventLog(r: DrillRecord, k: ReturnType<typeof keyInstants>): string {
  const phases = phaseDurations(r);
  const rows: [number, string, string][] = [];
  for (const e of r.timeline) {
    if (e.kind === 'phase')
      rows.push([
        e.t,
        `phase <strong>${esc(e.phase)}</strong>`,
        e.ok === false
          ? `<span class="fail-text">failed: ${esc(e.error ?? '')}</span>`
          : esc(`took ${fmt(phases[e.phase])}`),
      ]);
    else if (e.kind === 'fault')
      rows.push([
        e.t,
        `fault <strong>${esc(e.state)}</strong>`,
        esc(`${e.name} → ${e.target}${e.detail ? ` (${e.detail})` : ''}`),
      ]);
    else if (e.kind === 'step')
      rows.push([
        e.t,
        `step ${e.ok ? '' : '<span class="fail-text">FAILED</span>'}`,
        esc(`${e.name}: ${e.ok ? 'ok' : (e.error ?? '')} in ${formatDuration(e.end - e.t)}`),
      ]);
    else if (e.kind === 'note') rows.push([e.t, 'note', esc(e.message)]);
  }
  if (k.detectedAt !== undefined)
    rows.push([k.detectedAt, '<strong>detected</strong>', 'first failed probe completed']);
  if (k.recoveredAt !== undefined)
    rows.push([k.recoveredAt, '<strong>recovered (t_r)</strong>', 'start of sustained success']);
  const sorted = rows.map((row, i) => [row, i] as const).sort((a, b) => a[0][0] - b[0][0] || a[1] - b[1]);
  return table(
    ['at', 'UTC', 'event', 'detail'],
    sorted.map(([[t, ev, detail]]) => [
      `<span class="nw">${esc(rel(r, t))}</span>`,
      `<span class="small nw">${esc(wall(r, t).slice(11))}</span>`,
      ev,
      detail,
    ]),
    'events',
  );
}

function deviations(r: DrillRecord, ev: EvidenceInput | undefined): string {
  const items: string[] = [];
  for (const s of steps(r).filter((s) => !s.ok))
    items.push(`Runbook step failed: ${s.name}: ${s.error ?? ''}`);
  for (const p of ofKind(r.timeline, 'phase').filter((p) => p.ok === false))
    items.push(`Phase ${p.phase} failed: ${p.error ?? ''}`);
  if (r.error)
    items.push(`${r.error.aborted ? 'Aborted' : 'Stopped'} in phase ${r.error.phase}: ${r.error.message}`);
  for (const f of ofKind(r.timeline, 'fault').filter((f) => f.state === 'revert-failed'))
    items.push(`Fault revert failed: ${f.name} on ${f.target}${f.detail ? ` (${f.detail})` : ''}`);
  if (r.objectiveSources.rto === 'override' || r.objectiveSources.rpo === 'override')
    items.push('Objectives were overridden on the command line for this run (not the DR plan’s objectives).');
  if (r.teardown.kept) items.push('The estate was kept running on request (--keep): no cleanup attestation.');
  for (const t of r.teardown.results.filter((t) => !t.ok))
    items.push(`Teardown step failed: ${t.name}: ${t.error ?? ''}`);
  const human = ev?.deviations ?? [];
  return `<ul class="deviations">${
    items.length
      ? items.map((i) => `<li class="fail-text">${esc(i)}</li>`).join('')
      : '<li>None recorded by the harness: every phase and step ran once, in order, and succeeded; no retries; the harness made no manual intervention.</li>'
  }${
    human.length
      ? human.map((d) => `<li>Reported by participants: ${esc(d)}</li>`).join('')
      : '<li class="muted">None reported by participants (manual interventions, retries by hand, changes to the plan).</li>'
  }</ul>`;
}

function teardown(r: DrillRecord): string {
  if (r.teardown.kept)
    return '<p class="alert">Estate <strong>kept</strong> on request (<code>--keep</code>); it was not torn down. Remove it with <code>npx drill cleanup</code>.</p>';
  const rows = r.teardown.results.map((t) => [
    esc(t.name),
    esc(formatDuration(t.durationMs)),
    `${pass(t.ok)} ${esc(t.error ?? '')}`,
  ]);
  const leak = r.teardown.leaks.length
    ? `<p class="alert"><strong>Leak check failed:</strong> ${esc(r.teardown.leaks.join('; '))}</p>`
    : '<p><span class="badge badge-passed">CLEAN</span> Leak check after teardown: no process, port, directory or container of this run left behind.</p>';
  return `${rows.length ? table(['torn down (last created, first removed)', 'took', 'result'], rows, 'compact') : '<p class="muted">Nothing was created.</p>'}${leak}`;
}

function estate(r: DrillRecord, version: string): string {
  const e = r.estate;
  if (!e) return '<p class="muted">Not provisioned: no identity to record.</p>';
  const na = `<span class="muted">not applicable on the ${esc(e.backend)} backend</span>`;
  const images = e.images
    ? Object.entries(e.images)
        .map(([role, ref]) => `${esc(role)}: <code>${esc(ref)}</code>`)
        .join('<br>')
    : '<span class="muted">not applicable on the local backend (system binaries, no images)</span>';
  return kv([
    ['Backend', esc(`${e.backend} on ${e.platform}`)],
    [
      'PostgreSQL',
      esc(
        `${e.postgresVersion ?? 'unknown version'}; system identifier ${e.postgresSystemIdentifier ?? 'unknown'}`,
      ),
    ],
    ['Redis', e.redisVersion ? esc(e.redisVersion) : '<span class="muted">not part of this estate</span>'],
    ['Application', esc(e.appVersion)],
    ['Image digests', images],
    ['Cluster UID', na],
    ['Node.js', esc(e.nodeVersion)],
    ['drillbook', esc(version)],
  ]);
}

function findings(
  records: readonly DrillRecord[],
  ev: EvidenceInput | undefined,
  miss: readonly MissingField[],
): string {
  const auto = records.flatMap((r) => [
    ...(r.error ? [`${r.drill.id}: ${r.error.message}`] : []),
    ...r.criteria.filter((c) => !c.passed).map((c) => c.message),
  ]);
  const list = ev?.findings ?? [];
  const missFor = (i: number, f: 'owner' | 'due') => miss.find((m) => m.field === `findings[${i}].${f}`);
  const rows = list.map((f, i) => [
    String(i + 1),
    `<strong>${esc(f.title)}</strong>`,
    `<span class="sev sev-${f.severity}">${esc(f.severity)}</span>`,
    esc(f.drill ?? (records.length === 1 ? (records[0]?.drill.id ?? '') : 'run')),
    f.owner ? esc(f.owner) : missing(missFor(i, 'owner')?.why ?? 'owner'),
    f.due ? esc(f.due) : missing(missFor(i, 'due')?.why ?? 'due date'),
    f.retest ? esc(f.retest) : '<span class="muted">—</span>',
  ]);
  const needOne = miss.find((m) => m.field === 'findings');
  return `<section><h2>${records.length + 3}. Findings</h2>
${auto.length ? `<p><strong>Detected by the harness</strong> (each needs a finding with an owner and a due date):</p><ul>${auto.map((a) => `<li class="fail-text">${esc(a)}</li>`).join('')}</ul>` : '<p>The harness detected no failed criterion.</p>'}
${rows.length ? table(['#', 'finding', 'severity', 'drill', 'owner', 'due', 'retest'], rows, 'compact') : needOne ? `<p>${missing(needOne.why)}</p>` : '<p class="muted">No findings recorded by people.</p>'}
</section>`;
}

function manifestSection(summary: RunSummary, ctx: HtmlContext): string {
  const rows = ctx.artifacts.map((a) => [
    code(a.path),
    esc(`${a.size.toLocaleString('en-US')} B`),
    `<code class="hash">${esc(a.sha256)}</code>`,
  ]);
  const sig = ctx.signing.signed
    ? `<span class="badge badge-passed">SIGNED</span> manifest.json is signed with Ed25519 (signature.json), key fingerprint ${code(ctx.signing.fingerprint)}.`
    : '<span class="badge badge-failed">UNSIGNED</span> No signing key was configured: the hashes detect accidental or naive changes only. Sign runs with <code>--signing-key FILE</code> or <code>DRILL_SIGNING_KEY</code> (create a key with <code>drill keygen</code>).';
  return `<section><h2>${summary.drills.length + 4}. Evidence manifest and integrity</h2>
<p>${sig}</p>
${rows.length ? table(['artifact', 'size', 'sha256'], rows, 'compact hashes') : ''}
${ctx.events ? `<p>Hash-chained event log ${code('events.jsonl')}: ${ctx.events.lines} lines, each carrying the sha256 of the line before; head ${code(ctx.events.head)}.</p>` : ''}
<p class="muted">This page (report.html) cannot contain its own hash: it is listed, with every artifact above, in ${code('manifest.json')}${ctx.signing.signed ? ', which the signature covers' : ''}. To check the run directory:</p>
<pre>npx drill verify reports/${esc(summary.runId)}${ctx.signing.signed ? ' --public-key drill-signing-key.pub.pem' : ''}</pre>
</section>`;
}

const CSS = `
:root{--ink:#1c2430;--muted:#5f6b7a;--line:#d5dbe3;--soft:#f4f6f9;--navy:#14213d;--pass:#1e7b34;--fail:#b3261e;--err:#8a4b00;--warn:#a15c00}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:#e9edf2;color:var(--ink);font:14px/1.45 "Liberation Sans","Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
main{max-width:1120px;margin:24px auto;background:#fff;padding:0 40px 28px;box-shadow:0 1px 4px rgba(0,0,0,.12);position:relative}
h1{font-size:26px;margin:4px 0 2px;letter-spacing:.2px}
h2{font-size:19px;margin:30px 0 10px;padding-bottom:6px;border-bottom:2px solid var(--navy);color:var(--navy);display:flex;align-items:center;gap:10px}
h3{font-size:15px;margin:22px 0 8px;color:var(--navy)}
p{margin:6px 0}
code,pre{font-family:"Liberation Mono","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
code{background:var(--soft);padding:1px 4px;border-radius:3px}
pre{background:var(--soft);padding:8px 12px;border-radius:4px;border:1px solid var(--line);white-space:pre-wrap}
.masthead{margin:0 -40px;padding:18px 40px 14px;background:var(--navy);color:#fff}
.mast-top{display:flex;justify-content:space-between;font-size:12px;letter-spacing:1.5px;text-transform:uppercase;opacity:.85}
.brand{font-weight:700}
.mast-main{display:flex;justify-content:space-between;align-items:flex-end;gap:16px;margin-top:8px}
.mast-meta{font-size:13px;opacity:.9}
.mast-verdict{display:flex;gap:8px;flex-shrink:0}
.scope-note{margin:12px 0 0;padding:8px 12px;background:rgba(255,255,255,.1);border-left:4px solid #f2c94c;font-size:13px}
.badge{display:inline-block;padding:1px 8px;border-radius:3px;font-size:11.5px;font-weight:700;letter-spacing:.5px;color:#fff;vertical-align:middle;white-space:nowrap}
.badge-big{font-size:16px;padding:5px 14px;border:2px solid rgba(255,255,255,.8)}
.badge-passed{background:var(--pass)}.badge-failed{background:var(--fail)}.badge-error{background:var(--err)}
.badge-draft{background:#fff;color:var(--fail);border-color:var(--fail)}
.draft-banner{margin:16px 0 0;padding:10px 14px;border:2px solid var(--fail);background:#fdecea;border-radius:4px}
.watermark{position:fixed;top:42%;left:0;right:0;text-align:center;font-size:150px;font-weight:800;color:rgba(179,38,30,.07);transform:rotate(-28deg);pointer-events:none;z-index:0;letter-spacing:12px}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:10px;margin:18px 0 12px}
.card{border:1px solid var(--line);border-top:4px solid #8795a8;border-radius:4px;padding:8px 10px;background:#fff}
.card-passed{border-top-color:var(--pass)}.card-failed{border-top-color:var(--fail)}.card-error{border-top-color:var(--err)}.card-warn{border-top-color:var(--warn)}
.card-k{font-size:11px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted)}
.card-v{font-size:21px;font-weight:700;margin:2px 0}
.card-s{font-size:12px;color:var(--muted);overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
.grid th,.grid td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
.grid thead th{background:var(--soft);font-size:12px;text-transform:uppercase;letter-spacing:.4px;color:#3a4656}
.grid tbody tr:nth-child(even) td{background:#fafbfc}
.kv th{width:210px;text-align:left;vertical-align:top;padding:5px 12px 5px 0;color:#3a4656;font-weight:600;border-bottom:1px solid #edf0f4}
.kv td{padding:5px 0;border-bottom:1px solid #edf0f4;overflow-wrap:anywhere}
.kv .grid{margin:0}
.compact td,.compact th{padding:4px 7px}
.small{font-size:11.5px}
.nw{white-space:nowrap}
.muted{color:var(--muted)}
.fail-text{color:var(--fail)}
.alert{padding:8px 12px;background:#fdecea;border-left:4px solid var(--fail)}
.missing{display:inline-block;padding:0 6px;border:1.5px dashed var(--fail);color:var(--fail);font-weight:700;font-size:11.5px;letter-spacing:.5px;border-radius:3px}
.missing-why{color:var(--fail);font-size:12.5px}
.drill-title{font-size:15px;font-weight:600;margin-top:-4px}
.sev{font-weight:700;text-transform:uppercase;font-size:11.5px}.sev-critical,.sev-high{color:var(--fail)}.sev-medium{color:var(--warn)}.sev-low{color:var(--muted)}
.hash{font-size:11px;background:none;padding:0;overflow-wrap:anywhere}
.deviations li{margin:3px 0}
pre.output{margin:4px 0 0;padding:4px 6px;font-size:11px;max-height:none;background:#f7f8fa}
figure.chart{margin:8px 0 14px;padding:10px 12px 8px;border:1px solid var(--line);border-radius:4px;background:#fff}
figure.chart svg{display:block;margin-bottom:10px}
figcaption{font-size:12px;color:var(--muted);display:flex;flex-wrap:wrap;gap:4px 14px}
.lg{display:inline-flex;align-items:center;gap:3px}
.timeline{font-family:inherit}
.tl-title{font-size:14px;font-weight:700;fill:#1c2430}
.tl-sub{font-size:12px;fill:#5f6b7a}
.tl-lane{fill:#f7f8fa;stroke:#e3e7ec}
.tl-lane-name{font-size:13px;fill:#3a4656;font-weight:600}
.tl-grid{stroke:#e1e5ea;stroke-width:1}
.tl-axis{font-size:12px;fill:#5f6b7a}
.tl-axis-line{stroke:#9aa5b1}
.tl-phase{stroke:#fff;stroke-width:1}
.tl-in{font-size:12px;fill:#3a4656}
.tl-fault{fill:#fbe3e1}
.tl-fault-text{fill:#8e1c16;font-weight:600}
.tl-step{stroke:#fff;stroke-width:1}
.tl-step-num{font-size:12px;fill:#fff;font-weight:700}
.tl-marker{stroke-width:1.6}
.tl-marker-label,.tl-rto text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.tl-dashed{stroke-dasharray:4 3}
.tl-marker-label{font-size:12.5px;font-weight:700}
.tl-rto line{stroke:#1c2430;stroke-width:1.4}
.tl-rto text{font-size:13px;font-weight:700;fill:#1c2430}
footer{margin-top:26px;padding-top:10px;border-top:1px solid var(--line);font-size:11.5px;color:var(--muted)}
@media (max-width:800px){main{padding:0 14px}.masthead{margin:0 -14px;padding:14px}.cards{grid-template-columns:repeat(2,1fr)}}
@media print{
  @page{size:A4;margin:14mm 12mm 16mm}
  body{background:#fff;font-size:11.5px}
  main{max-width:none;margin:0;padding:0;box-shadow:none}
  .masthead{margin:0 0 4px;padding:12px 16px}
  .cards{grid-template-columns:repeat(5,1fr)}
  .card-v{font-size:17px}
  h2{break-after:avoid;page-break-after:avoid}
  h3{break-after:avoid;page-break-after:avoid}
  tr,figure,.kv tr,.card,.draft-banner,pre{break-inside:avoid;page-break-inside:avoid}
  section.drill + section.drill{break-before:page;page-break-before:always}
  table{font-size:10.5px}
  figcaption{font-size:9.5px}
  code,pre{font-size:10px}
}
`;
