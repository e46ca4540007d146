/**
 * What clients saw while the drill ran: probes that failed and canary writes that were refused or never
 * answered. For a drill that must cause no outage (a maintenance routine under traffic), any of them is an
 * impact. Pure: a function of the timeline.
 */
import { ofKind, type TimelineEvent } from './timeline.ts';

export interface ClientImpact {
  /** Drill-clock instant the count starts at. */
  since: number;
  probes: number;
  failedProbes: number;
  writes: number;
  ackedWrites: number;
  /** Writes the application answered "not committed". */
  refusedWrites: number;
  /** Writes without a clear answer (timed out, connection reset). */
  indeterminateWrites: number;
  /** The first failed probe's error or status, and when (drill clock), for the report. */
  firstFailure?: { t: number; what: string };
}

/**
 * From `since` on (the instant the steady state held: what happened before is the estate settling, not the
 * routine's doing) to the end of the timeline.
 */
export function measureClientImpact(timeline: readonly TimelineEvent[], since = 0): ClientImpact {
  const probes = ofKind(timeline, 'probe').filter((p) => p.t >= since);
  const writes = ofKind(timeline, 'write').filter((w) => w.t >= since);
  const failed = probes.filter((p) => !p.ok);
  const refused = writes.filter((w) => w.outcome === 'fail');
  const firstProbe = failed[0];
  const firstWrite = refused[0] ?? writes.find((w) => w.outcome === 'indeterminate');
  const candidates = [
    ...(firstProbe
      ? [{ t: firstProbe.t, what: `probe ${firstProbe.status ?? firstProbe.error ?? 'failed'}` }]
      : []),
    ...(firstWrite
      ? [
          {
            t: firstWrite.t,
            what: `write ${firstWrite.outcome}: ${firstWrite.error ?? firstWrite.status ?? ''}`,
          },
        ]
      : []),
  ].sort((a, b) => a.t - b.t);
  return {
    since,
    probes: probes.length,
    failedProbes: failed.length,
    writes: writes.length,
    ackedWrites: writes.filter((w) => w.outcome === 'ok').length,
    refusedWrites: refused.length,
    indeterminateWrites: writes.filter((w) => w.outcome === 'indeterminate').length,
    ...(candidates[0] ? { firstFailure: candidates[0] } : {}),
  };
}
