import type { ProbeEvent } from './timeline.ts';

export interface RtoOptions {
  /** t_f: the instant just before the fault action ran. */
  faultAt: number;
  /** K: consecutive successful probes that make a recovery (default 5). */
  consecutive?: number;
  /** A recovery counts only if no probe fails within this window after the K-th success (default 2000 ms). */
  settleMs?: number;
  /**
   * Every probe sent before this instant has been recorded. A candidate recovery whose settle window reaches
   * past it is `pending`: a failure might still come.
   */
  observedUntil: number;
  /** The probe interval: the measurement's resolution. */
  intervalMs: number;
}

export type RtoResult =
  | {
      status: 'recovered';
      /** t_r - t_f; 0 when no probe failed (no outage). */
      rtoMs: number;
      /** t_r: start of the first run of K successes after t_f that no failure follows within the settle window. */
      recoveredAt: number;
      /** Whether any probe failed after t_f (false: the fault was not visible to clients). */
      outage: boolean;
      /** Time from t_f to the end of the first failed probe, when there was one. */
      timeToDetectMs?: number;
      failedProbes: number;
      probesAfterFault: number;
      resolutionMs: number;
    }
  | { status: 'pending' | 'not-recovered'; reason: string; failedProbes: number; probesAfterFault: number };

/**
 * RTO = t_r - t_f, where t_r is the start of the first run of K consecutive successful probes after t_f that no
 * failure follows within the settle window. A pure function of the probe events, so it can be tested on
 * synthetic timelines and recomputed from a saved record.
 */
export function computeRto(probes: readonly ProbeEvent[], opts: RtoOptions): RtoResult {
  const k = opts.consecutive ?? 5;
  const settle = opts.settleMs ?? 2000;
  const after = probes.filter((p) => p.t >= opts.faultAt).sort((a, b) => a.t - b.t || a.seq - b.seq);
  const failedProbes = after.filter((p) => !p.ok).length;
  const base = { failedProbes, probesAfterFault: after.length };
  const firstFailure = after.find((p) => !p.ok);

  let i = 0;
  while (i + k <= after.length) {
    const runBroken = after.slice(i, i + k).findIndex((p) => !p.ok);
    if (runBroken >= 0) {
      i += runBroken + 1;
      continue;
    }
    const runStart = after[i] as ProbeEvent;
    const windowEnd = (after[i + k - 1] as ProbeEvent).t + settle;
    const failureInWindow = after.findIndex((p, j) => j >= i + k && p.t <= windowEnd && !p.ok);
    if (failureInWindow >= 0) {
      i = failureInWindow + 1;
      continue;
    }
    if (windowEnd > opts.observedUntil) {
      return { status: 'pending', reason: 'settle window not yet observed', ...base };
    }
    // A fault no client saw (no probe failed) cost no recovery time: RTO 0, recovered at the fault itself,
    // not at the first probe's offset after it (which measures the probe schedule, not an outage).
    const recoveredAt = firstFailure ? runStart.t : opts.faultAt;
    return {
      status: 'recovered',
      rtoMs: recoveredAt - opts.faultAt,
      recoveredAt,
      outage: firstFailure !== undefined,
      ...(firstFailure ? { timeToDetectMs: firstFailure.end - opts.faultAt } : {}),
      ...base,
      resolutionMs: opts.intervalMs,
    };
  }
  const reason =
    after.length === 0
      ? 'no probe was sent after the fault'
      : `no run of ${k} consecutive successful probes after the fault`;
  return { status: 'pending', reason, ...base };
}

/** The same result once observation has ended: whatever is still pending did not recover. */
export function finalRto(probes: readonly ProbeEvent[], opts: RtoOptions): RtoResult {
  const r = computeRto(probes, opts);
  return r.status === 'pending' ? { ...r, status: 'not-recovered' } : r;
}
