/**
 * The steady-state hypothesis, from what every observer contributes: since the last bad observation of any of
 * them, `forMs` have passed and each has seen enough good ones. Pure, so it is tested on synthetic timelines.
 */
export interface SteadyEvidence {
  /** Who says so, for the timeout message: "HTTP probes of /ready". */
  subject: string;
  /** The end of this observer's last bad observation at or after `since` (or `since` when there was none). */
  lastBad: number;
  /** Whether this observer saw enough good observations after instant `after`. */
  goodAfter(after: number): boolean;
}

export function steadyHolds(
  evidence: readonly SteadyEvidence[],
  since: number,
  now: number,
  forMs: number,
): boolean {
  const lastBad = Math.max(since, ...evidence.map((e) => e.lastBad));
  if (now - lastBad < forMs) return false;
  return evidence.every((e) => e.goodAfter(lastBad));
}

/** Evidence of a stream of observations that succeed or fail: `min` good ones after the last bad one. */
export function evidenceOf(
  subject: string,
  observations: readonly { t: number; badAt?: number; ok: boolean }[],
  since: number,
  min: number,
): SteadyEvidence {
  const after = observations.filter((o) => o.t >= since);
  return {
    subject,
    lastBad: Math.max(since, ...after.filter((o) => !o.ok).map((o) => o.badAt ?? o.t)),
    goodAfter: (t) => after.filter((o) => o.ok && o.t > t).length >= min,
  };
}
