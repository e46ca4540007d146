import {
  drillStatus,
  scheduleOf,
  SCHEMA_VERSION,
  type DrillRecord,
  type DrillStatus,
} from '../record/record.ts';
import type { Quarter } from '../record/record.ts';
import type { LagWrites } from '../measure/replication.ts';
import type { ReplicationSample } from '../measure/timeline.ts';
import { DRILLBOOK_VERSION } from './version.ts';
import { stagesView } from './stages-view.ts';

/** summary.json: the contract CI systems read (see docs/reports.md). Fields may be added; these stay. */
export interface RunSummary {
  schemaVersion: typeof SCHEMA_VERSION;
  runId: string;
  startedAt: string;
  finishedAt: string;
  /** The backend that provided the estates (`local`, `docker`, ...). */
  backend: string;
  /** The drillbook version that ran the drills (package.json). */
  drillbookVersion?: string;
  status: DrillStatus;
  drills: DrillSummary[];
}

export interface DrillSummary {
  id: string;
  title: string;
  /** The drill's quarter, or `routine` for a maintenance routine. */
  quarter: Quarter | 'routine';
  status: DrillStatus;
  objectives: { rtoMs?: number; rpoMs?: number };
  measured: {
    rtoMs?: number;
    rpoMs?: number;
    ackedWrites?: number;
    lostAckedWrites?: number;
    lostSeqRanges?: [number, number][];
    timeToDetectMs?: number;
    probeIntervalMs: number;
    writeIntervalMs: number;
    /** Wall time of the whole recovery procedure (the procedure phase). */
    runbookMs?: number;
    /** The Redis canary's loss, when the drill declares one (beside the SQL canary's fields above). */
    cache?: CacheSummary;
    /** The replication to the standby (an estate with one): mode, lag before the fault, what it cost. */
    replication?: ReplicationSummary;
  };
  /**
   * The alerts of the rules under test (a drill with monitoring), times in ms relative to t_f: when each fired,
   * reached each receiver and resolved, and whether the drill expected it.
   */
  alerts?: AlertSummary[];
  /**
   * A composite exercise (`q4-full-exercise`): each stage with its objectives, what its own traffic and canary
   * measured (times in ms on the exercise's clock) and its verdict; `status` above is the plan's verdict.
   */
  stages?: StageSummary[];
  /** One line per failed criterion, or the error that stopped the drill. */
  messages: string[];
  durationMs: number;
  reportFile: string;
}

export interface StageSummary {
  index: number;
  id: string;
  quarter: Quarter;
  status: DrillStatus | 'not run';
  objectives: { rtoMs?: number; rpoMs?: number };
  measured: { rtoMs?: number; rpoMs?: number; ackedWrites?: number; lostAckedWrites?: number };
  startMs: number;
  endMs: number;
  faultAtMs?: number;
}

/** Acknowledged cache keys the crash lost: counts, seq ranges, and the loss window against the accepted one. */
export interface CacheSummary {
  ackedWrites: number;
  lostAckedWrites: number;
  lostSeqRanges: [number, number][];
  windowMs: number;
  maxWindowMs: number;
  writeIntervalMs: number;
}

/**
 * The replication to the standby. `lagMs` and the rest are present when the drill lagged the link before the
 * fault: how long, `pg_stat_replication` just before the failure, and the writes sent during the lag.
 */
export interface ReplicationSummary {
  mode: 'async' | 'sync';
  lagMs?: number;
  beforeFault?: ReplicationSample | null;
  duringLag?: LagWrites;
  /** RPO minus the lag, when acknowledged writes were lost. */
  rpoMinusLagMs?: number;
}

export interface AlertSummary {
  name: string;
  severity?: string;
  expected: boolean;
  /** What the drill declared: `fires`, or `must-not-page` (an outage shorter than the rule's `for`). */
  expectation?: 'fires' | 'must-not-page';
  /** When the fault stage that must raise it struck (a sequence of faults); its times are measured from there on. */
  expectedAtMs?: number;
  pendingAtMs?: number;
  firedAtMs?: number;
  /** Per receiver: its first firing notice and its resolved notice. */
  notified: { receiver: string; atMs?: number; resolvedAtMs?: number }[];
  resolvedAtMs?: number;
}

export function runStatus(records: readonly DrillRecord[]): DrillStatus {
  const s = records.map(drillStatus);
  if (s.length === 0 || s.includes('error')) return 'error';
  return s.includes('failed') ? 'failed' : 'passed';
}

export function drillSummary(r: DrillRecord): DrillSummary {
  const rto = r.measurements?.rto;
  const rpo = r.measurements?.rpo;
  const cache = r.measurements?.cache;
  const repl = r.measurements?.replication;
  const status = drillStatus(r);
  return {
    id: r.drill.id,
    title: r.drill.title,
    quarter: scheduleOf(r.drill),
    status,
    objectives: r.objectives,
    measured: {
      ...(rto?.status === 'recovered' ? { rtoMs: round(rto.rtoMs) } : {}),
      ...(rto?.status === 'recovered' && rto.timeToDetectMs !== undefined
        ? { timeToDetectMs: round(rto.timeToDetectMs) }
        : {}),
      ...(rpo
        ? {
            rpoMs: round(rpo.rpoMs),
            ackedWrites: rpo.ackedWrites,
            lostAckedWrites: rpo.lostAckedWrites,
            lostSeqRanges: rpo.lostSeqRanges,
          }
        : {}),
      ...(r.measurements?.runbookMs !== undefined ? { runbookMs: round(r.measurements.runbookMs) } : {}),
      probeIntervalMs: r.settings.probeIntervalMs,
      writeIntervalMs: r.settings.writeIntervalMs,
      ...(cache
        ? {
            cache: {
              ackedWrites: cache.ackedWrites,
              lostAckedWrites: cache.lostAckedWrites,
              lostSeqRanges: cache.lostSeqRanges,
              windowMs: round(cache.windowMs),
              maxWindowMs: cache.maxWindowMs,
              writeIntervalMs: cache.writeIntervalMs,
            },
          }
        : {}),
      ...(repl
        ? {
            replication: {
              mode: repl.mode,
              ...(repl.lagMs !== undefined ? { lagMs: round(repl.lagMs) } : {}),
              ...(repl.beforeFault !== undefined ? { beforeFault: repl.beforeFault } : {}),
              ...(repl.duringLag
                ? {
                    duringLag: {
                      ...repl.duringLag,
                      commitStallMs: round(repl.duringLag.commitStallMs),
                      ...(repl.duringLag.ackLatencyP50Ms !== undefined
                        ? { ackLatencyP50Ms: round(repl.duringLag.ackLatencyP50Ms) }
                        : {}),
                      ...(repl.duringLag.ackLatencyMaxMs !== undefined
                        ? { ackLatencyMaxMs: round(repl.duringLag.ackLatencyMaxMs) }
                        : {}),
                    },
                  }
                : {}),
              ...(repl.rpoMinusLagMs !== undefined ? { rpoMinusLagMs: round(repl.rpoMinusLagMs) } : {}),
            },
          }
        : {}),
    },
    ...(r.measurements?.alerts
      ? {
          alerts: r.measurements.alerts.alerts.map((a) => ({
            name: a.name,
            ...(a.severity ? { severity: a.severity } : {}),
            expected: a.expected,
            ...(a.expectation ? { expectation: a.expectation } : {}),
            ...(a.expectedAtMs !== undefined ? { expectedAtMs: a.expectedAtMs } : {}),
            ...(a.pendingAtMs !== undefined ? { pendingAtMs: a.pendingAtMs } : {}),
            ...(a.firedAtMs !== undefined ? { firedAtMs: a.firedAtMs } : {}),
            notified: a.notified.map((n) => ({ ...n })),
            ...(a.resolvedAtMs !== undefined ? { resolvedAtMs: a.resolvedAtMs } : {}),
          })),
        }
      : {}),
    ...(r.stages ? { stages: stageSummaries(r) } : {}),
    messages: [
      ...(r.error ? [`${r.drill.id}: ${r.error.message}`] : []),
      ...r.criteria.filter((c) => !c.passed || status === 'passed').map((c) => c.message),
    ],
    durationMs: round(r.durationMs),
    reportFile: `${r.drill.id}.json`,
  };
}

function stageSummaries(r: DrillRecord): StageSummary[] {
  return (stagesView(r)?.rows ?? []).map((s) => {
    const n = s.numbers;
    return {
      index: s.index,
      id: s.id,
      quarter: s.quarter,
      status: s.status,
      objectives: {
        ...(n.rtoObjectiveMs !== undefined ? { rtoMs: n.rtoObjectiveMs } : {}),
        ...(n.rpoObjectiveMs !== undefined ? { rpoMs: n.rpoObjectiveMs } : {}),
      },
      measured: {
        ...(n.rtoMs !== undefined ? { rtoMs: n.rtoMs } : {}),
        ...(n.rpoMs !== undefined ? { rpoMs: n.rpoMs } : {}),
        ...(n.ackedWrites !== undefined ? { ackedWrites: n.ackedWrites } : {}),
        ...(n.lostAckedWrites !== undefined ? { lostAckedWrites: n.lostAckedWrites } : {}),
      },
      startMs: n.t,
      endMs: n.end,
      ...(n.faultAtMs !== undefined ? { faultAtMs: n.faultAtMs } : {}),
    };
  });
}

export function runSummary(
  runId: string,
  backend: string,
  startedAt: string,
  records: readonly DrillRecord[],
): RunSummary {
  return {
    schemaVersion: SCHEMA_VERSION,
    runId,
    startedAt,
    finishedAt: records.at(-1)?.finishedAt ?? new Date().toISOString(),
    backend,
    drillbookVersion: DRILLBOOK_VERSION,
    status: runStatus(records),
    drills: records.map(drillSummary),
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
