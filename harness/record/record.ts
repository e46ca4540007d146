/**
 * The drill record: everything one drill produced, as the model every report format reads. It depends on the
 * timeline and the measurement result types only (a lint rule keeps it so): what a report states must be a
 * typed fact here or in the timeline, never recovered from the text of a note or a check's name.
 */
import type { AlertsMeasurement } from '../measure/alerts.ts';
import type { CacheMeasurement } from '../measure/cache.ts';
import type { ClientImpact } from '../measure/impact.ts';
import type { ReplicationMeasurement } from '../measure/replication.ts';
import type { RpoResult } from '../measure/rpo.ts';
import type { ShippingMeasurement } from '../measure/shipping.ts';
import type { RtoResult } from '../measure/rto.ts';
import {
  ofKind,
  type PhaseName,
  type StepEvent,
  type SwitchEvent,
  type TimelineEvent,
} from '../measure/timeline.ts';

export const SCHEMA_VERSION = 1;

export type Quarter = 'Q1' | 'Q2' | 'Q3' | 'Q4';
export const QUARTERS: readonly Quarter[] = ['Q1', 'Q2', 'Q3', 'Q4'];

/** When a drill is run, as reports show it: its quarter, or `routine` for a maintenance routine. */
export function scheduleOf(drill: { quarter: Quarter; kind?: 'routine' }): Quarter | 'routine' {
  return drill.kind === 'routine' ? 'routine' : drill.quarter;
}

/**
 * What kind of fact a check establishes, so a report can place it (a restore target next to the data loss)
 * without reading its name. Optional: a check without a kind is listed with the others.
 */
export type CheckKind =
  /** Row counts equal (a restored copy against the primary, or against a count taken before the fault). */
  | 'row-count'
  /** A content checksum equal (the same rows, byte for byte). */
  | 'checksum'
  /** Known marker rows present with their true content. */
  | 'marker-rows'
  /** Point-in-time recovery: the point replay reached, against the target asked for. */
  | 'restore-target'
  /** How the service behaves through the clients' path (degrades without its cache, serves a release). */
  | 'behaviour'
  /** The cache's own data (keys acknowledged and lost in a crash, keys never written). */
  | 'cache'
  /** A decision the procedure took from live traffic (which rollback criterion fired, and when). */
  | 'decision';

/** A check of the data or the service itself: a query, a row count, a checksum, marker rows. */
export interface IntegrityCheck {
  name: string;
  kind?: CheckKind;
  expected: string;
  actual: string;
  passed: boolean;
}

/** One item of the pre-deployment checklist as it ran: a `check=` block of the runbook. */
export interface ChecklistItem {
  /** The checklist section (`infrastructure`, `backup`, `configuration`, `testing`, `monitoring`). */
  section: string;
  /** The item, as the block's first comment line names it. */
  name: string;
  /** The block's id in the runbook. */
  id: string;
  status: 'pass' | 'fail' | 'skip';
  /** Why it failed or was skipped: one sentence a person can act on. */
  reason?: string;
  /** What the check saw (its last line of output when it passed). */
  detail: string;
  /** Where the check is written: `file.md#Lnn`. */
  source: string;
  durationMs: number;
  /** The block's output, as evidence (redacted). */
  output?: string;
}

/** Who and what the estate was: versions and identifiers an auditor can match against the real system. */
export interface EstateIdentity {
  /** The backend that provided the estate (`local`, `docker`, ...). */
  backend: string;
  postgresVersion?: string;
  postgresSystemIdentifier?: string;
  redisVersion?: string;
  appVersion: string;
  /** docker: the image of each role, as `reference@image id` (what ran, for the auditor). */
  images?: Record<string, string>;
  nodeVersion: string;
  platform: string;
}

/** One entry of the teardown: what was removed, how long it took, and whether it went. */
export interface TeardownEntry {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

export type DrillStatus = 'passed' | 'failed' | 'error';

/** One thing the drill is judged on: an objective, or a functional success criterion. */
export interface Criterion {
  name:
    | 'rto'
    | 'rpo'
    | 'procedure'
    | 'recovered'
    | 'canary'
    | 'cache'
    | 'data-integrity'
    | 'checklist'
    | 'client-impact'
    | 'cleanup'
    | 'shipping'
    | 'alerts';
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
    /** A maintenance routine (run on its own cadence), not a quarterly DR drill: reports say `routine`. */
    kind?: 'routine';
    description: string;
    runbookSection: string;
    source?: string;
  };
  runId: string;
  /** The backend that provided the estate (`local`, `docker`, ...). */
  backend: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  objectives: { rtoMs?: number; rpoMs?: number };
  /** Where each objective came from: the scenario, or a --objective override for this run. */
  /** Where each objective came from: the scenario, the config file's DR plan, or the command line. */
  objectiveSources: { rto?: ObjectiveSource; rpo?: ObjectiveSource };
  settings: {
    probeIntervalMs: number;
    probePath: string;
    writeIntervalMs: number;
    consecutive: number;
    settleMs: number;
    replication?: 'async' | 'sync';
    /** A two-site estate: how its DR site is fed, and whether its app was warm or cold. */
    sites?: {
      feed: 'wal-shipping' | 'streaming';
      archiveTimeoutMs: number;
      redisSnapshotMs: number;
      drApp: 'warm' | 'cold';
    };
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
    /**
     * The replication around the fault (an estate with a standby): its mode, and when the link lagged first, the
     * lag injected, `pg_stat_replication` just before the failure and what the writes sent during the lag paid.
     */
    replication?: ReplicationMeasurement;
    /** What clients saw during a drill that must cause no outage: failed probes, refused writes. */
    clientImpact?: ClientImpact;
    /**
     * A two-site estate: what was shipped to the DR site before the primary site was lost (the last WAL segment
     * and Redis snapshot, their ages at t_f) and the loss it explains (exactly which acknowledged writes).
     */
    shipping?: ShippingMeasurement;
    /** The alert watcher (a drill with monitoring): each rule's pending, firing, notifications, resolution. */
    alerts?: AlertsMeasurement;
  };
  criteria: Criterion[];
  /**
   * A composite exercise (`q4-full-exercise`): each stage as it ran on the one estate, with its own objectives,
   * measurements from its own traffic and canaries, and criteria. The drill's criteria are all of theirs (plus
   * cleanup): the plan-level verdict.
   */
  stages?: StageRecord[];
  /** Checks of the data itself that steps ran (row counts, checksums, marker rows, restore target vs reached). */
  checks: IntegrityCheck[];
  /** The pre-deployment checklist, when the drill ran it: every item with its status, in the runbook's order. */
  checklist?: ChecklistItem[];
  /** The runbook under test: path, content sha256, and the git commit it was read at (when in a repository). */
  runbook?: { path: string; sha256: string; gitCommit?: string };
  /** Set when the harness could not complete the drill (abort, timeout, broken estate): status `error`. */
  error?: { phase: PhaseName; message: string; aborted: boolean };
  teardown: { kept: boolean; results: TeardownEntry[]; leaks: string[] };
  /**
   * What observing cost the harness itself, from steady state until the observers stopped: its own process's CPU
   * time (user + system, children excluded) over that wall time. `drillsAtOnce` > 1 (`--parallel`) means the
   * CPU was shared with other drills of the run. `watching`: the same over the steady state alone, where only
   * the observers (probes, canary writes, any watcher) run: the cost of observing itself, without the
   * procedure's and the fault's one-off work.
   */
  harnessCpu?: {
    cpuMs: number;
    wallMs: number;
    drillsAtOnce: number;
    watching?: { cpuMs: number; wallMs: number };
  };
}

/** One stage of a composite exercise: a scenario's phases run on the exercise's estate, judged on their own. */
export interface StageRecord {
  id: string;
  index: number;
  title: string;
  quarter: Quarter;
  runbookSection: string;
  /** The stage's span on the drill clock. */
  t: number;
  end: number;
  /** t_f of the stage's fault, on the drill clock. */
  faultAt?: number;
  objectives: { rtoMs?: number; rpoMs?: number };
  objectiveSources: { rto?: ObjectiveSource; rpo?: ObjectiveSource };
  measurements?: DrillRecord['measurements'];
  criteria: Criterion[];
  /** Set when the stage did not complete (an abort, a broken estate): what stopped it. */
  error?: string;
  /** Not run: an earlier stage failed or the exercise was stopped before it. */
  notRun?: true;
}

/** A stage's status, as a drill's: error when it did not complete, else whether every criterion passed. */
export function stageStatus(s: Pick<StageRecord, 'error' | 'criteria'>): DrillStatus {
  return drillStatus({
    ...(s.error ? { error: { phase: 'procedure', message: s.error, aborted: false } } : {}),
    criteria: s.criteria,
  });
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

/** The role switches of the clients' endpoints, in order: the only source of a report's switchover sentence. */
export function switches(
  r: Pick<DrillRecord, 'timeline'>,
  endpoint?: SwitchEvent['endpoint'],
): SwitchEvent[] {
  return ofKind(r.timeline, 'switch').filter((s) => endpoint === undefined || s.endpoint === endpoint);
}

export type ObjectiveSource = 'scenario' | 'config' | 'override';
