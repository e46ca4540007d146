/**
 * What an observer is: something the runner starts at steady state, that watches the estate from outside
 * (through the path clients use, or straight at a role) and writes typed events to the drill's timeline. The
 * runner stops it after recovery, asks for its read-back, and lets it measure: each measurement is a pure
 * function of `measure/` over the observer's events and its read-back.
 *
 * Scenarios declare their observers with the factory in `observers.ts` (`Observer.httpProbe()`,
 * `Observer.sqlCanary()`, `Observer.redisCanary()`); a drill that declares none gets the HTTP probe and the SQL
 * canary.
 */
import type { SystemUnderTest } from '../config/system.ts';
import type { Clock } from '../core/clock.ts';
import type { Estate } from '../estate/types.ts';
import type { AlertsMeasurement } from '../measure/alerts.ts';
import type { CacheMeasurement } from '../measure/cache.ts';
import type { RpoResult } from '../measure/rpo.ts';
import type { RtoResult } from '../measure/rto.ts';
import type { SteadyEvidence } from '../measure/steady.ts';
import type { TimelineEvent } from '../measure/timeline.ts';

/** The drill's traffic settings in ms: what an observer uses unless it was declared with its own. */
export interface TrafficDefaults {
  probePath: string;
  probeBodyIncludes?: string;
  /** The status a healthy answer has (default: any 2xx). */
  probeStatus?: number;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  writeIntervalMs: number;
  writeTimeoutMs: number;
  /** K consecutive good observations (probes) for the steady state and for a recovery. */
  consecutive: number;
  settleMs: number;
}

export interface ObserverContext {
  readonly estate: Estate;
  /** The drill's one monotonic clock: every event an observer emits is stamped with it. */
  readonly clock: Clock;
  readonly runId: string;
  /** The system under test: its canary, its health check. */
  readonly system: SystemUnderTest;
  readonly traffic: TrafficDefaults;
  /** Fires when the drill is aborted. */
  readonly signal: AbortSignal;
  /** Append a typed event to the drill's timeline. */
  emit(event: TimelineEvent): void;
  /**
   * The drill's timeline so far, read-only: what others put there that an observer's measurement depends on (the
   * alert watcher reads the alerts a fault announced).
   */
  timeline(): readonly TimelineEvent[];
}

/** A declared observer: configuration only. `start` returns the running one, which alone holds state. */
export interface Observer {
  /** kebab-case, for messages: `http-probe`, `sql-canary`, `redis-canary`. */
  readonly name: string;
  /** Start observing (connect, start the open loop). Throws when it cannot observe at all. */
  start(ctx: ObserverContext): Promise<StartedObserver>;
}

/** What the runner hands a read-back: the deadline for it and a way to leave a note on the timeline. */
export interface ReadBackContext {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  note: (message: string) => void;
}

/** When the runner asks for a measurement: t_f (absent without a fault) and the end of observation. */
export interface MeasureInput {
  faultAt?: number;
  now: number;
}

/** What observers measure, under the names the record keeps them. */
export interface ObserverMeasurements {
  /** The HTTP probe: recovery time. */
  rto?: RtoResult;
  /** The SQL canary: data loss of acknowledged writes through the app. */
  rpo?: RpoResult;
  canaryRowsRead?: number;
  presentSeqRanges?: [number, number][];
  /** The Redis canary: acknowledged keys the cache lost. */
  cache?: CacheMeasurement;
  /** The alert watcher: the alerts of the rules under test. */
  alerts?: AlertsMeasurement;
}

export interface StartedObserver {
  readonly name: string;
  /** Its part of the steady-state hypothesis (absent: it has no opinion on the steady state). */
  steady?(since: number): SteadyEvidence;
  /**
   * Whether the service has recovered from the fault as this observer sees it (`pending` while the settle
   * window is unobserved). The runner waits in the recovery phase until every observer that answers says so.
   */
  recovery?(faultAt: number): RtoResult;
  /** Stop observing; resolves when everything in flight has its outcome. Idempotent. */
  stop(): Promise<void>;
  /** After recovery and `stop`: read back what it wrote (canary rows, keys) from the authoritative store. */
  readBack?(ctx: ReadBackContext): Promise<void>;
  /** Its measurement: a pure function of its events and its read-back. */
  measure?(input: MeasureInput): ObserverMeasurements;
}

/** `stop` made idempotent: the first call's promise is the answer to every later one. */
export function once(stop: () => Promise<void>): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  return () => (stopped ??= stop());
}
