/**
 * The view of one drill that every human-readable format renders (report.html, report.md, the switchover line
 * of junit.xml): a pure function of the record. Formats choose how to show a row, never what it says: a fact a
 * format needs is computed here once, from typed events and fields, and never recovered from text.
 */
import { alertsView, type AlertsView } from './alerts-view.ts';
import { formatDuration } from '../core/duration.ts';
import type { RpoResult } from '../measure/rpo.ts';
import type { RtoResult } from '../measure/rto.ts';
import {
  faultInstant,
  ofKind,
  type FaultEvent,
  type PhaseName,
  type ReplicationSample,
  type StepVia,
  type SwitchEvent,
} from '../measure/timeline.ts';
import { shippingView, type ShippingView } from './shipping-view.ts';
import { stagesView, type StagesView } from './stages-view.ts';
import {
  drillStatus,
  type ChecklistItem,
  phaseDurations,
  steps,
  switches,
  type Criterion,
  type DrillRecord,
  type DrillStatus,
  type EstateIdentity,
  type IntegrityCheck,
  type Quarter,
  type TeardownEntry,
  scheduleOf,
} from '../record/record.ts';

/** Drill-clock instants the picture and the tables mark. */
export interface KeyInstants {
  faultAt?: number;
  detectedAt?: number;
  recoveredAt?: number;
  confirmedAt?: number;
  abortedAt?: number;
}

/** One row of the event log, tagged like the timeline it comes from, plus the instants the RTO is made of. */
export type TimelineRow = { t: number } & (
  | { kind: 'phase'; phase: PhaseName; ok: boolean; error?: string; durationMs?: number }
  | { kind: 'fault'; state: FaultEvent['state']; name: string; target: string; detail?: string }
  | { kind: 'step'; name: string; ok: boolean; durationMs: number; error?: string; detail?: string }
  | { kind: 'switch'; endpoint: SwitchEvent['endpoint']; from?: string; to: string }
  | { kind: 'note'; message: string }
  /** The replication link stalled or restored, or the replication state sampled (its words in `summary`). */
  | { kind: 'replication'; what: 'link-stalled' | 'link-restored' | 'sample'; summary: string }
  /** The alert watcher saw a rule go pending, fire or resolve, or a receiver get a notice of it. */
  | {
      kind: 'alert';
      name: string;
      state: 'pending' | 'firing' | 'resolved' | 'notified' | 'expected';
      summary: string;
    }
  | { kind: 'detected' }
  | { kind: 'recovered' }
);

/** One step of the procedure (or of the preparation), numbered as in the timeline picture. */
export interface StepRow {
  n: number;
  name: string;
  /** A block of the runbook document, or a harness action. */
  via: StepVia;
  source?: string;
  phase?: 'prepare' | 'procedure';
  t: number;
  end: number;
  durationMs: number;
  ok: boolean;
  exitCode?: number;
  detail?: string;
  error?: string;
  output?: string;
}

/** One row of the integrity evidence: a check a step ran, the canary read-back, a verifying step, a criterion. */
export interface CheckRow {
  from: 'check' | 'read-back' | 'verifying-step' | 'criterion';
  name: string;
  kind?: IntegrityCheck['kind'];
  /** How it was checked, or what was expected. */
  expected: string;
  actual: string;
  passed: boolean;
}

/** A row of the recovery-time breakdown (detect, decide, recover, stable). */
export interface RecoveryPhaseRow {
  name: 'detect' | 'decide' | 'recover' | 'stable';
  what: string;
  from?: number;
  to?: number;
}

/** Which role each client endpoint led to, and when that changed: from the typed switch events only. */
export interface SwitchoverView {
  /** One line for people: "database endpoint: postgres-primary → postgres-standby (at t_f + 320 ms)". */
  sentence: string;
  switches: SwitchEvent[];
}

/**
 * The replication to the standby and how it relates to the data loss: the mode, and when the drill lagged the
 * link before the fault, the lag, `pg_stat_replication` just before the failure, what the writes sent during
 * the lag paid, and the RPO against the lag. `rows` are label and sentence, rendered as they are by every
 * format.
 */
export interface ReplicationView {
  mode: 'async' | 'sync';
  lagMs?: number;
  rows: [label: string, text: string][];
}

export interface CleanupView {
  kept: boolean;
  entries: TeardownEntry[];
  leaks: string[];
  /** Torn down completely and nothing left behind. */
  clean: boolean;
}

/** The pre-deployment checklist as it ran: its items in the runbook's order, and how many of each status. */
export interface ChecklistView {
  items: ChecklistItem[];
  passed: number;
  failed: number;
  skipped: number;
  /** What a reader needs first: `13 passed, 1 failed (backup: Logical dump ...), 2 skipped`. */
  summary: string;
}

export interface DrillView {
  id: string;
  title: string;
  /** The drill's quarter, or `routine` for a maintenance routine. */
  quarter: Quarter | 'routine';
  description: string;
  runbookSection: string;
  /** The scenario file, or the drill id when unknown. */
  scenario: string;
  source?: string;
  status: DrillStatus;
  backend: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  error?: DrillRecord['error'];
  runbook?: DrillRecord['runbook'];
  replication?: 'async' | 'sync';
  /** The replication around the fault, when the estate had a standby and the measurement ran. */
  replicationLag?: ReplicationView;
  /** Two sites: what was shipped to the DR site before the primary site was lost, and the loss it explains. */
  shipping?: ShippingView;
  /** What the estate consisted of, in words. */
  scope: string;
  measurement: {
    probePath: string;
    probeIntervalMs: number;
    probesSent: number;
    writeIntervalMs: number;
    writesSent: number;
    consecutive: number;
    settleMs: number;
  };
  /** Faults as injected. */
  faults: { name: string; target: string; detail?: string; t: number }[];
  switchover: SwitchoverView;
  objectives: DrillRecord['objectives'];
  objectiveSources: DrillRecord['objectiveSources'];
  objectivesOverridden: boolean;
  criteria: Criterion[];
  instants: KeyInstants;
  rto?: RtoResult;
  rpo?: RpoResult;
  /** The steps after the fault that make up the recovery-time breakdown (when the drill recovered). */
  recoveryPhases: RecoveryPhaseRow[];
  canary: { rowsRead: number; presentSeqRanges: [number, number][] };
  /** Checks of a point-in-time restore: the target asked for, against the point replay reached. */
  restoreChecks: IntegrityCheck[];
  /** The checks steps ran, as recorded. */
  checks: IntegrityCheck[];
  /** The pre-deployment checklist, when the drill ran it. */
  checklist?: ChecklistView;
  /** Every piece of integrity evidence: the checks, the canary read-back, verifying steps, data criteria. */
  evidence: CheckRow[];
  timeline: TimelineRow[];
  steps: StepRow[];
  /** What the harness saw go other than planned (failed steps and phases, aborts, overrides, --keep). */
  deviations: string[];
  cleanup: CleanupView;
  estate?: EstateIdentity;
  /** The alerts of the rules under test (a drill with monitoring). */
  alerts?: AlertsView;
  /** A composite exercise: its stages, each with objectives, measured RTO/RPO and verdict; the plan verdict. */
  stages?: StagesView;
  /** With stages: the stage each criterion belongs to (by position; cleanup belongs to the exercise). */
  criterionStages?: (string | undefined)[];
}

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));

export function keyInstants(r: DrillRecord): KeyInstants {
  const faultAt = r.faultAt ?? faultInstant(r.timeline);
  const rto = r.measurements?.rto;
  const recovery = ofKind(r.timeline, 'phase').find((p) => p.phase === 'recovery');
  const failedPhase = ofKind(r.timeline, 'phase').find((p) => p.ok === false);
  const out: KeyInstants = {};
  if (faultAt !== undefined) out.faultAt = faultAt;
  if (rto?.status === 'recovered') {
    out.recoveredAt = rto.recoveredAt;
    if (rto.timeToDetectMs !== undefined && faultAt !== undefined)
      out.detectedAt = faultAt + rto.timeToDetectMs;
    if (recovery?.end !== undefined && recovery.ok) out.confirmedAt = recovery.end;
  }
  if (r.error && failedPhase?.end !== undefined) out.abortedAt = failedPhase.end;
  return out;
}

/** "t_f + 95 ms" when the drill had a fault, else "start + 2.79 s" since the drill started. */
export function relativeTo(faultAt: number | undefined, t: number): string {
  if (faultAt === undefined) return `start + ${formatDuration(t)}`;
  const d = t - faultAt;
  return Math.abs(d) < 0.0005 ? 't_f' : `t_f ${d < 0 ? '−' : '+'} ${formatDuration(Math.abs(d))}`;
}

/** The wall-clock time of a drill-clock instant (ISO), or '' when the start is unknown. */
export function wallClock(startedAt: string, t: number): string {
  const start = Date.parse(startedAt);
  return Number.isFinite(start) ? new Date(start + t).toISOString() : '';
}

const ENDPOINT: Record<SwitchEvent['endpoint'], string> = {
  db: 'database endpoint',
  app: 'application endpoint',
};

/**
 * The switchover sentence, from the switch events the runner recorded and nothing else: per endpoint, the role
 * it led to before the first switch and each role after, with when. "No switchover" only when there was none.
 */
export function switchover(r: Pick<DrillRecord, 'timeline' | 'faultAt'>): SwitchoverView {
  const all = switches(r);
  if (all.length === 0)
    return { sentence: 'no switchover: no client endpoint changed the role it leads to', switches: [] };
  const faultAt = r.faultAt ?? faultInstant(r.timeline);
  const parts = (['db', 'app'] as const).flatMap((endpoint) => {
    const evs = all.filter((s) => s.endpoint === endpoint);
    const first = evs[0];
    if (!first) return [];
    const chain = evs.map((s) => `${s.to} (at ${relativeTo(faultAt, s.t)})`).join(' → ');
    return [`${ENDPOINT[endpoint]}: ${first.from ?? 'an unrecorded role'} → ${chain}`];
  });
  return { sentence: parts.join('; '), switches: all };
}

function scopeOf(r: DrillRecord): string {
  const parts = ['PostgreSQL primary'];
  if (r.settings.replication) parts.push(`hot standby (${r.settings.replication} streaming replication)`);
  if (r.settings.sites)
    parts.push(
      `a DR site (standby restoring shipped WAL${r.settings.sites.feed === 'streaming' ? ' and streaming' : ''}, shipped Redis snapshots, ${r.settings.sites.drApp} app)`,
    );
  if (r.estate?.redisVersion) parts.push('Redis');
  parts.push(
    `application ${r.estate?.appVersion ?? ''}`.trim(),
    'traffic router (stable endpoints clients use)',
  );
  return parts.join(', ');
}

function timelineRows(r: DrillRecord, k: KeyInstants): TimelineRow[] {
  const phases = phaseDurations(r);
  const rows: TimelineRow[] = [];
  for (const e of r.timeline) {
    if (e.kind === 'phase')
      rows.push({
        kind: 'phase',
        t: e.t,
        phase: e.phase,
        ok: e.ok !== false,
        ...(e.error !== undefined ? { error: e.error } : {}),
        // Its own span: an exercise runs the same phase once per stage.
        ...(e.end !== undefined
          ? { durationMs: e.end - e.t }
          : phases[e.phase] !== undefined
            ? { durationMs: phases[e.phase] }
            : {}),
      });
    else if (e.kind === 'stage') {
      rows.push({ kind: 'note', t: e.t, message: `stage ${e.index} begins: ${e.id}: ${e.title}` });
      if (e.end !== undefined)
        rows.push({
          kind: 'note',
          t: e.end,
          message: `stage ${e.index} ends: ${e.id} ${e.ok ? 'passed' : 'did not pass'}`,
        });
    } else if (e.kind === 'fault')
      rows.push({
        kind: 'fault',
        t: e.t,
        state: e.state,
        name: e.name,
        target: e.target,
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      });
    else if (e.kind === 'step')
      rows.push({
        kind: 'step',
        t: e.t,
        name: e.name,
        ok: e.ok,
        durationMs: e.end - e.t,
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      });
    else if (e.kind === 'switch')
      rows.push({
        kind: 'switch',
        t: e.t,
        endpoint: e.endpoint,
        to: e.to,
        ...(e.from !== undefined ? { from: e.from } : {}),
      });
    else if (e.kind === 'note') rows.push({ kind: 'note', t: e.t, message: e.message });
    else if (e.kind === 'replication')
      rows.push({
        kind: 'replication',
        t: e.t,
        what: e.what,
        summary:
          e.what === 'sample'
            ? `pg_stat_replication on the primary: ${sampleWords(e.sample)}`
            : e.what === 'link-stalled'
              ? 'replication link stalled: the standby receives no WAL, the primary no confirmation'
              : 'replication link restored',
      });
    else if (e.kind === 'alert')
      rows.push({
        kind: 'alert',
        t: e.t,
        name: e.name,
        state: e.state,
        summary:
          e.state === 'notified'
            ? `${e.status ?? 'firing'} notice of ${e.name} at receiver ${e.receiver ?? '?'}`
            : e.state === 'expected'
              ? `the next fault must raise ${e.name}`
              : `${e.name}${e.severity ? ` (${e.severity})` : ''} ${e.state} in Prometheus`,
      });
  }
  if (k.detectedAt !== undefined) rows.push({ kind: 'detected', t: k.detectedAt });
  if (k.recoveredAt !== undefined) rows.push({ kind: 'recovered', t: k.recoveredAt });
  // Stable: events recorded at the same instant keep the order they happened in.
  return rows
    .map((row, i) => [row, i] as const)
    .sort((a, b) => a[0].t - b[0].t || a[1] - b[1])
    .map(([row]) => row);
}

/** One sample of pg_stat_replication in words: how far behind the standby was, in bytes and in time. */
export function sampleWords(x: ReplicationSample | null): string {
  if (x === null) return 'the standby was not connected';
  const lag = (v: number | null) => (v === null ? 'none' : formatDuration(v));
  return (
    `${x.state} (${x.syncState}); ${bytes(x.unsentBytes)} not yet sent, ${bytes(x.unflushedBytes)} not flushed ` +
    `and ${bytes(x.unreplayedBytes)} not replayed on the standby; write/flush/replay lag as PostgreSQL reports ` +
    `it ${lag(x.writeLagMs)} / ${lag(x.flushLagMs)} / ${lag(x.replayLagMs)}; last reply from the standby ` +
    `${x.replyAgeMs === null ? 'never' : `${formatDuration(x.replyAgeMs)} old`}`
  );
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function replicationView(r: DrillRecord): ReplicationView | undefined {
  const x = r.measurements?.replication;
  if (!x) return undefined;
  const rpo = r.measurements?.rpo;
  const rows: [string, string][] = [
    [
      'Replication mode',
      x.mode === 'sync'
        ? 'synchronous: a commit is acknowledged once the standby has flushed it'
        : 'asynchronous: a commit is acknowledged once the primary has flushed it; the standby follows',
    ],
  ];
  if (x.lagMs !== undefined)
    rows.push([
      'Replication lag injected',
      `${formatDuration(x.lagMs)} (link stalled until the primary died)`,
    ]);
  if (x.beforeFault !== undefined)
    rows.push(['Replication just before the fault', sampleWords(x.beforeFault)]);
  const d = x.duringLag;
  if (d) {
    const latency =
      d.ackLatencyP50Ms !== undefined
        ? `; commit latency of those acknowledged: median ${formatDuration(d.ackLatencyP50Ms)}, max ${fmt(d.ackLatencyMaxMs)}`
        : '';
    const before =
      x.ackLatencyBeforeLagP50Ms !== undefined
        ? ` (median ${formatDuration(x.ackLatencyBeforeLagP50Ms)} in the second before the lag)`
        : '';
    rows.push([
      'Writes during the lag',
      `${d.sent} sent: ${d.acked} acknowledged, ${d.refused} refused, ${d.waiting} still waiting when the primary died${latency}${before}`,
    ]);
    rows.push([
      'Commit stall',
      `the longest a write waited for its commit during the lag: ${formatDuration(d.commitStallMs)}`,
    ]);
  }
  if (x.lagMs !== undefined && rpo) {
    rows.push([
      'RPO against the lag',
      rpo.lostAckedWrites > 0
        ? `RPO ${formatDuration(rpo.rpoMs)} = the lag ${formatDuration(x.lagMs)} ${(x.rpoMinusLagMs ?? 0) >= 0 ? '+' : '−'} ${formatDuration(Math.abs(x.rpoMinusLagMs ?? 0))}: the acknowledged writes the standby never received (${rpo.lostAckedWrites}) are the data loss`
        : x.mode === 'sync'
          ? `RPO 0: no acknowledged write lost although the standby lagged ${formatDuration(x.lagMs)}; the writes waited instead (the commit stall)`
          : `RPO 0: no acknowledged write lost although the standby lagged ${formatDuration(x.lagMs)}`,
    ]);
  }
  return { mode: x.mode, ...(x.lagMs !== undefined ? { lagMs: x.lagMs } : {}), rows };
}

function stepRows(r: DrillRecord): StepRow[] {
  return steps(r).map((s, i) => ({
    n: i + 1,
    name: s.name,
    via: s.via ?? 'harness',
    t: s.t,
    end: s.end,
    durationMs: s.durationMs,
    ok: s.ok,
    ...(s.source !== undefined ? { source: s.source } : {}),
    ...(s.phase !== undefined ? { phase: s.phase } : {}),
    ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}),
    ...(s.detail !== undefined ? { detail: s.detail } : {}),
    ...(s.error !== undefined ? { error: s.error } : {}),
    ...(s.output !== undefined ? { output: s.output } : {}),
  }));
}

const ranges = (rs: readonly [number, number][]) =>
  rs.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ');

function evidenceRows(r: DrillRecord): CheckRow[] {
  const rpo = r.measurements?.rpo;
  const m = r.measurements;
  const rows: CheckRow[] = (r.checks ?? []).map((c) => ({
    from: 'check',
    name: c.name,
    ...(c.kind ? { kind: c.kind } : {}),
    expected: `expected ${c.expected}`,
    actual: c.actual,
    passed: c.passed,
  }));
  if (rpo && m) {
    const present = ranges(m.presentSeqRanges ?? []);
    rows.push(
      {
        from: 'read-back',
        name: 'canary read-back',
        expected: 'SELECT of every canary row from the authoritative database after recovery',
        actual: `${m.canaryRowsRead ?? 0} rows read${present ? `; seqs present: ${present}` : ''}`,
        passed: true,
      },
      {
        from: 'read-back',
        name: 'acknowledged rows present',
        expected: 'every acknowledged write is in the database',
        actual: `${rpo.ackedWrites - rpo.lostAckedWrites} of ${rpo.ackedWrites}`,
        passed: rpo.lostAckedWrites === 0,
      },
      {
        from: 'read-back',
        name: 'no unexpected rows',
        expected: 'no row that was never sent',
        actual: `${rpo.unexpectedSeqs.length} unexpected`,
        passed: rpo.unexpectedSeqs.length === 0,
      },
      {
        from: 'read-back',
        name: 'refused writes absent',
        expected: 'no write the application refused was committed anyway',
        actual: `${rpo.failedButPresent} refused but present`,
        passed: rpo.failedButPresent === 0,
      },
    );
  }
  for (const s of steps(r).filter((s) => s.verifies))
    rows.push({
      from: 'verifying-step',
      name: s.name,
      expected: s.source ?? 'runbook step',
      actual: s.detail ?? s.error ?? '',
      passed: s.ok,
    });
  for (const c of r.criteria.filter((c) => c.name === 'data-integrity' || c.name === 'canary'))
    rows.push({
      from: 'criterion',
      name: `${c.name} criterion`,
      expected: c.objective,
      actual: c.measured,
      passed: c.passed,
    });
  return rows;
}

function recoveryPhases(r: DrillRecord, k: KeyInstants): RecoveryPhaseRow[] {
  if (r.measurements?.rto?.status !== 'recovered') return [];
  const tf = k.faultAt ?? 0;
  const firstStep = steps(r).find((s) => s.t >= tf && s.phase !== 'prepare');
  const row = (
    name: RecoveryPhaseRow['name'],
    what: string,
    from?: number,
    to?: number,
  ): RecoveryPhaseRow => ({
    name,
    what,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  });
  return [
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
}

function deviationsOf(r: DrillRecord): string[] {
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
  return items;
}

/** The stage each of an exercise's criteria belongs to: they are the stages' criteria in order, then cleanup. */
function criterionStages(r: DrillRecord): (string | undefined)[] {
  const owners = (r.stages ?? []).flatMap((s) => s.criteria.map(() => s.id));
  return r.criteria.map((_, i) => owners[i]);
}

/** The view of one drill record. */
export function drillView(r: DrillRecord): DrillView {
  const k = keyInstants(r);
  const m = r.measurements;
  return {
    id: r.drill.id,
    title: r.drill.title,
    quarter: scheduleOf(r.drill),
    description: r.drill.description,
    runbookSection: r.drill.runbookSection,
    scenario: r.drill.source ?? r.drill.id,
    ...(r.drill.source !== undefined ? { source: r.drill.source } : {}),
    status: drillStatus(r),
    backend: r.backend,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    ...(r.error ? { error: r.error } : {}),
    ...(r.runbook ? { runbook: r.runbook } : {}),
    ...(r.settings.replication ? { replication: r.settings.replication } : {}),
    ...(replicationView(r) ? { replicationLag: replicationView(r) } : {}),
    ...(shippingView(r) ? { shipping: shippingView(r) } : {}),
    ...(r.stages ? { stages: stagesView(r), criterionStages: criterionStages(r) } : {}),
    scope: scopeOf(r),
    measurement: {
      probePath: r.settings.probePath,
      probeIntervalMs: r.settings.probeIntervalMs,
      probesSent: ofKind(r.timeline, 'probe').length,
      writeIntervalMs: r.settings.writeIntervalMs,
      writesSent: ofKind(r.timeline, 'write').length,
      consecutive: r.settings.consecutive,
      settleMs: r.settings.settleMs,
    },
    faults: ofKind(r.timeline, 'fault')
      .filter((f) => f.state === 'injected')
      .map((f) => ({ name: f.name, target: f.target, t: f.t, ...(f.detail ? { detail: f.detail } : {}) })),
    switchover: switchover(r),
    objectives: r.objectives,
    objectiveSources: r.objectiveSources,
    objectivesOverridden: r.objectiveSources.rto === 'override' || r.objectiveSources.rpo === 'override',
    criteria: r.criteria,
    instants: k,
    ...(m?.rto ? { rto: m.rto } : {}),
    ...(m?.rpo ? { rpo: m.rpo } : {}),
    recoveryPhases: recoveryPhases(r, k),
    canary: { rowsRead: m?.canaryRowsRead ?? 0, presentSeqRanges: m?.presentSeqRanges ?? [] },
    restoreChecks: (r.checks ?? []).filter((c) => c.kind === 'restore-target'),
    checks: r.checks ?? [],
    ...(r.checklist ? { checklist: checklistView(r.checklist) } : {}),
    evidence: evidenceRows(r),
    timeline: timelineRows(r, k),
    steps: stepRows(r),
    deviations: deviationsOf(r),
    cleanup: {
      kept: r.teardown.kept,
      entries: r.teardown.results,
      leaks: r.teardown.leaks,
      clean: !r.teardown.kept && r.teardown.leaks.length === 0 && r.teardown.results.every((t) => t.ok),
    },
    ...(r.estate ? { estate: r.estate } : {}),
    ...(alertsView(r) ? { alerts: alertsView(r) } : {}),
  };
}

/** Seq ranges as people read them: "30–32, 40". */
export function seqRanges(rs: readonly [number, number][]): string {
  return ranges(rs);
}

/** How a step ran, in words for the steps tables. */
export const VIA_WORDS: Record<StepVia, string> = { 'runbook-block': 'runbook block', harness: 'harness' };

/** The checklist's items and counts, for every format. */
export function checklistView(items: readonly ChecklistItem[]): ChecklistView {
  const count = (s: ChecklistItem['status']) => items.filter((i) => i.status === s).length;
  const failed = items.filter((i) => i.status === 'fail');
  return {
    items: [...items],
    passed: count('pass'),
    failed: failed.length,
    skipped: count('skip'),
    summary:
      `${count('pass')} passed, ${failed.length} failed` +
      (failed.length ? ` (${failed.map((i) => `${i.section}: ${i.name}`).join('; ')})` : '') +
      `, ${count('skip')} skipped`,
  };
}
