import { computeRpo } from './rpo.ts';
import type { CacheWriteEvent } from './timeline.ts';

/**
 * The cache canary's loss: which acknowledged keys a crash and restart did not bring back, as a time window.
 * The same classification and window arithmetic as the database canary's RPO (rpo.ts), kept apart because a
 * cache may lose what its persistence had not yet flushed (`appendfsync everysec`: about one second).
 */
export interface CacheLossResult {
  /** SETs Redis answered OK. */
  ackedWrites: number;
  sentWrites: number;
  /** Acknowledged keys absent after the restart. */
  lostAckedWrites: number;
  /** The lost seqs as inclusive ranges, e.g. [[812, 815]]. */
  lostSeqRanges: [number, number][];
  /** t_f - t_ack(p), p the last acked key kept before the first lost one; 0 when nothing acked was lost. */
  windowMs: number;
  /** Keys present that the canary never wrote. */
  unexpectedKeys: number;
  /** Keys read back after the restart. */
  keysRead: number;
  /** First write after t_f that Redis refused or left unanswered, ms after t_f: the canary saw the outage. */
  outageSeenAfterMs?: number;
  /** First acknowledged write after that outage, ms after t_f: the cache takes writes again. */
  ackedAgainAfterMs?: number;
}

/**
 * Classify every cache canary write against the keys read back after the restart. Pure, so it is tested on
 * synthetic timelines and recomputed from a saved record.
 */
export function computeCacheLoss(
  writes: readonly CacheWriteEvent[],
  presentSeqs: ReadonlySet<number>,
  faultAt: number,
): CacheLossResult {
  const rpo = computeRpo(writes, presentSeqs, faultAt);
  const byTime = [...writes].sort((a, b) => a.t - b.t || a.seq - b.seq);
  const outage = byTime.find((w) => w.t >= faultAt && w.outcome !== 'ok');
  const again = outage && byTime.find((w) => w.t > outage.t && w.outcome === 'ok');
  return {
    ackedWrites: rpo.ackedWrites,
    sentWrites: rpo.sentWrites,
    lostAckedWrites: rpo.lostAckedWrites,
    lostSeqRanges: rpo.lostSeqRanges,
    windowMs: rpo.rpoMs,
    unexpectedKeys: rpo.unexpectedSeqs.length,
    keysRead: presentSeqs.size,
    ...(outage ? { outageSeenAfterMs: outage.t - faultAt } : {}),
    ...(again?.ack !== undefined ? { ackedAgainAfterMs: again.ack - faultAt } : {}),
  };
}

/** The cache canary's loss as the record keeps it: the measurement and the loss window the drill accepts. */
export interface CacheMeasurement extends CacheLossResult {
  /** The accepted loss window (the scenario's, e.g. 2 s for `appendfsync everysec`). */
  maxWindowMs: number;
  /** The canary's write interval: the window's resolution. */
  writeIntervalMs: number;
}
