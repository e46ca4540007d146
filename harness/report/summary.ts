import { drillStatus, SCHEMA_VERSION, type DrillRecord, type DrillStatus } from '../record/record.ts';
import type { Quarter } from '../record/record.ts';
import { DRILLBOOK_VERSION } from './version.ts';

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
  quarter: Quarter;
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
  };
  /** One line per failed criterion, or the error that stopped the drill. */
  messages: string[];
  durationMs: number;
  reportFile: string;
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

export function runStatus(records: readonly DrillRecord[]): DrillStatus {
  const s = records.map(drillStatus);
  if (s.length === 0 || s.includes('error')) return 'error';
  return s.includes('failed') ? 'failed' : 'passed';
}

export function drillSummary(r: DrillRecord): DrillSummary {
  const rto = r.measurements?.rto;
  const rpo = r.measurements?.rpo;
  const cache = r.measurements?.cache;
  const status = drillStatus(r);
  return {
    id: r.drill.id,
    title: r.drill.title,
    quarter: r.drill.quarter,
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
    },
    messages: [
      ...(r.error ? [`${r.drill.id}: ${r.error.message}`] : []),
      ...r.criteria.filter((c) => !c.passed || status === 'passed').map((c) => c.message),
    ],
    durationMs: round(r.durationMs),
    reportFile: `${r.drill.id}.json`,
  };
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
