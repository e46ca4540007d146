/**
 * What the replication did around the fault, as a pure function of the timeline: the mode, how long the link
 * had been stalled when the primary died (the lag injected), `pg_stat_replication` as sampled just before the
 * failure, and what the canary writes sent during the lag experienced (acknowledged, refused, left waiting, and
 * how long a commit waited). With asynchronous replication the lag is the loss window; with synchronous
 * replication it is the commit stall.
 */
import { ofKind, type ReplicationSample, type TimelineEvent } from './timeline.ts';

export interface LagWrites {
  /** Canary writes sent between the stall and t_f. */
  sent: number;
  /** Acknowledged before t_f. */
  acked: number;
  /** Answered "not committed" (refused) before t_f. */
  refused: number;
  /** Still waiting for an answer at t_f (with sync replication: for the standby). */
  waiting: number;
  /** Commit latency of the writes acknowledged during the lag (send to ack), when any were. */
  ackLatencyP50Ms?: number;
  ackLatencyMaxMs?: number;
  /**
   * The longest a write sent during the lag waited for its commit by t_f (send to ack, or to t_f for a write
   * still waiting): the commit stall the lag caused.
   */
  commitStallMs: number;
}

export interface ReplicationMeasurement {
  mode: 'async' | 'sync';
  /** How long the replication link had been stalled when the primary died: t_f minus the stall. */
  lagMs?: number;
  /** `pg_stat_replication` on the primary just before the failure (null: the standby was not connected). */
  beforeFault?: ReplicationSample | null;
  /** The canary writes sent while the standby lagged. */
  duringLag?: LagWrites;
  /** Commit latency (send to ack) of the writes acknowledged in the second before the stall, for comparison. */
  ackLatencyBeforeLagP50Ms?: number;
  /** RPO minus the lag: how far the loss window is from the lag (async: about zero; nothing lost: undefined). */
  rpoMinusLagMs?: number;
}

/**
 * `faultAt` is t_f (the primary's death); `rpoMs` the measured RPO when acknowledged writes were lost. Only
 * the first stall before t_f counts.
 */
export function measureReplication(
  events: readonly TimelineEvent[],
  input: { mode: 'async' | 'sync'; faultAt?: number; rpoMs?: number; lostAckedWrites?: number },
): ReplicationMeasurement {
  const { mode, faultAt } = input;
  const out: ReplicationMeasurement = { mode };
  const repl = ofKind(events, 'replication');
  const stall = repl.find((e) => e.what === 'link-stalled' && (faultAt === undefined || e.t <= faultAt));
  const sample = repl.filter((e) => e.what === 'sample' && (faultAt === undefined || e.t <= faultAt)).at(-1);
  if (sample?.what === 'sample') out.beforeFault = sample.sample;
  if (stall === undefined || faultAt === undefined) return out;

  out.lagMs = faultAt - stall.t;
  const writes = ofKind(events, 'write');
  const during = writes.filter((w) => w.t >= stall.t && w.t < faultAt);
  const answeredBy = (w: (typeof writes)[number]) => w.ack !== undefined && w.ack < faultAt;
  const acked = during.filter((w) => w.outcome === 'ok' && answeredBy(w));
  const refused = during.filter((w) => w.outcome === 'fail' && answeredBy(w));
  const latencies = acked.map((w) => (w.ack ?? w.t) - w.t).sort((a, b) => a - b);
  const waits = during.map((w) => (answeredBy(w) ? (w.ack ?? faultAt) : faultAt) - w.t);
  out.duringLag = {
    sent: during.length,
    acked: acked.length,
    refused: refused.length,
    waiting: during.length - acked.length - refused.length,
    ...(latencies.length
      ? { ackLatencyP50Ms: median(latencies), ackLatencyMaxMs: latencies.at(-1) ?? 0 }
      : {}),
    commitStallMs: waits.length ? Math.max(...waits) : 0,
  };
  const before = writes
    .filter((w) => w.outcome === 'ok' && w.ack !== undefined && w.t >= stall.t - 1000 && w.t < stall.t)
    .map((w) => (w.ack ?? w.t) - w.t)
    .sort((a, b) => a - b);
  if (before.length) out.ackLatencyBeforeLagP50Ms = median(before);
  if (input.rpoMs !== undefined && (input.lostAckedWrites ?? 0) > 0)
    out.rpoMinusLagMs = input.rpoMs - out.lagMs;
  return out;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
