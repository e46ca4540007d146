import type { TeardownResult } from '../core/teardown.ts';
import type { BackendName, EstateIdentity } from '../estate/types.ts';
import type { CacheMeasurement } from '../measure/cache.ts';
import type { RpoResult } from '../measure/rpo.ts';
import type { RtoResult } from '../measure/rto.ts';
import { ofKind, type PhaseName, type StepEvent, type TimelineEvent } from '../measure/timeline.ts';
import type { Quarter } from './define.ts';
import type { IntegrityCheck } from '../runbook/step.ts';

export const SCHEMA_VERSION = 1;

export type DrillStatus = 'passed' | 'failed' | 'error';

/** One thing the drill is judged on: an objective, or a functional success criterion. */
export interface Criterion {
  name: 'rto' | 'rpo' | 'procedure' | 'recovered' | 'canary' | 'cache' | 'data-integrity' | 'cleanup';
  objective: string;
  measured: string;
  passed: boolean;
  /** One line for people: `RTO 74.2 s exceeded objective 60 s for "q1-db-failover"`. */
  message: string;
}

/**
 * Everything one drill produced: the model every report format is a pure function of. Status is not stored;
 * `drillStatus` derives it.
 */
export interface DrillRecord {
  schemaVersion: typeof SCHEMA_VERSION;
  drill: {
    id: string;
    title: string;
    quarter: Quarter;
    description: string;
    runbookSection: string;
    source?: string;
  };
  runId: string;
  backend: BackendName;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  objectives: { rtoMs?: number; rpoMs?: number };
  /** Where each objective came from: the scenario, or a --objective override for this run. */
  objectiveSources: { rto?: 'scenario' | 'override'; rpo?: 'scenario' | 'override' };
  settings: {
    probeIntervalMs: number;
    probePath: string;
    writeIntervalMs: number;
    consecutive: number;
    settleMs: number;
    replication?: 'async' | 'sync';
  };
  estate?: EstateIdentity;
  /** t_f on the drill clock, when a fault was injected. */
  faultAt?: number;
  timeline: TimelineEvent[];
  measurements?: {
    rto?: RtoResult;
    rpo?: RpoResult;
    canaryRowsRead?: number;
    /** The canary seqs found in the authoritative database after recovery: the read-back evidence. */
    presentSeqRanges?: [number, number][];
    /** The Redis canary (a drill that declares one): acknowledged keys the cache lost, and the window accepted. */
    cache?: CacheMeasurement;
    /** Wall time of the whole runbook procedure (all its steps). */
    runbookMs?: number;
  };
  criteria: Criterion[];
  /** Checks of the data itself that steps ran (row counts, checksums, marker rows, restore target vs reached). */
  checks: IntegrityCheck[];
  /** The runbook under test: path, content sha256, and the git commit it was read at (when in a repository). */
  runbook?: { path: string; sha256: string; gitCommit?: string };
  /** Set when the harness could not complete the drill (abort, timeout, broken estate): status `error`. */
  error?: { phase: PhaseName; message: string; aborted: boolean };
  teardown: { kept: boolean; results: TeardownResult[]; leaks: string[] };
}

export function drillStatus(r: Pick<DrillRecord, 'error' | 'criteria'>): DrillStatus {
  if (r.error) return 'error';
  if (r.criteria.length === 0) return 'error';
  return r.criteria.every((c) => c.passed) ? 'passed' : 'failed';
}

export function steps(r: Pick<DrillRecord, 'timeline'>): (StepEvent & { durationMs: number })[] {
  return ofKind(r.timeline, 'step').map((s) => ({ ...s, durationMs: s.end - s.t }));
}

export function phaseDurations(r: Pick<DrillRecord, 'timeline'>): Partial<Record<PhaseName, number>> {
  const out: Partial<Record<PhaseName, number>> = {};
  for (const p of ofKind(r.timeline, 'phase')) if (p.end !== undefined) out[p.phase] = p.end - p.t;
  return out;
}
