/**
 * One observer, one monotonic clock. Every duration drillbook reports is a difference of two readings of a
 * Clock; wall-clock time is only a label (ISO strings in reports), never a measurement.
 */
export interface Clock {
  /** Milliseconds since this clock's origin, monotonic, sub-millisecond resolution. */
  now(): number;
  /** The wall-clock instant (epoch ms) of the origin, for labelling monotonic readings. */
  readonly originEpochMs: number;
}

/** A clock whose origin is the moment it is created. */
export function monotonicClock(): Clock {
  const origin = performance.now();
  const originEpochMs = Date.now();
  return { now: () => performance.now() - origin, originEpochMs };
}

/** A clock that only moves when told to: for unit tests of timing logic. */
export function manualClock(start = 0): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    originEpochMs: 0,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

/** ISO-8601 label of a monotonic reading. */
export function isoAt(clock: Clock, t: number): string {
  return new Date(clock.originEpochMs + t).toISOString();
}
