import type { ProbeEvent, WriteEvent } from './timeline.ts';

/** The seed runbook's rollback decision criteria. */
export interface RollbackCriteria {
  /** "error rate > 5 %": share of failed requests (probes and writes) since the release. */
  errorRate: number;
  /** "latency > 10 s": p95 of completed requests. */
  latencyMs: number;
  /** "health check failing": this many consecutive failed health probes. */
  healthFailures: number;
  /** Requests needed before a rate is judged at all. */
  minSamples: number;
}

export const SEED_ROLLBACK_CRITERIA: RollbackCriteria = {
  errorRate: 0.05,
  latencyMs: 10_000,
  healthFailures: 3,
  minSamples: 20,
};

export type RollbackCriterion = 'health-check' | 'error-rate' | 'latency';

export interface RollbackDecision {
  /** The criterion that demands a rollback, if any; health first, then errors, then latency. */
  triggered?: RollbackCriterion;
  /** Why, in numbers: "error rate 100.0 % > 5 % over 42 requests". */
  reason: string;
  samples: number;
  errorRate: number;
  p95LatencyMs: number;
}

/**
 * Decide from live traffic whether a release must be rolled back. Pure: the same observations give the same
 * decision, so the report can show why, and the logic is tested on synthetic traffic.
 */
export function rollbackDecision(
  probes: readonly ProbeEvent[],
  writes: readonly WriteEvent[],
  since: number,
  c: RollbackCriteria = SEED_ROLLBACK_CRITERIA,
): RollbackDecision {
  const p = probes.filter((e) => e.t >= since).sort((a, b) => a.t - b.t);
  const w = writes.filter((e) => e.t >= since);
  const durations = [
    ...p.map((e) => e.end - e.t),
    ...w.filter((e) => e.ack !== undefined).map((e) => (e.ack ?? e.t) - e.t),
  ];
  const failures = p.filter((e) => !e.ok).length + w.filter((e) => e.outcome !== 'ok').length;
  const samples = p.length + w.length;
  const errorRate = samples ? failures / samples : 0;
  const p95LatencyMs = percentile(durations, 0.95);
  const base = { samples, errorRate, p95LatencyMs };

  let run = 0;
  for (const e of p) {
    run = e.ok ? 0 : run + 1;
    if (run >= c.healthFailures) {
      return { ...base, triggered: 'health-check', reason: `${run} consecutive health probes failed` };
    }
  }
  if (samples >= c.minSamples && errorRate > c.errorRate) {
    return {
      ...base,
      triggered: 'error-rate',
      reason: `error rate ${(errorRate * 100).toFixed(1)} % > ${c.errorRate * 100} % over ${samples} requests`,
    };
  }
  if (durations.length >= c.minSamples && p95LatencyMs > c.latencyMs) {
    return {
      ...base,
      triggered: 'latency',
      reason: `p95 latency ${Math.round(p95LatencyMs)} ms > ${c.latencyMs} ms`,
    };
  }
  return {
    ...base,
    reason: `no criterion met over ${samples} requests (error rate ${(errorRate * 100).toFixed(1)} %)`,
  };
}

function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}
