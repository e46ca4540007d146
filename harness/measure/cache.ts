import type { CacheWriteEvent } from './timeline.ts';

/**
 * The cache canary's loss: which acknowledged keys a crash and restart did not bring back, as a time window.
 * The same definitions as the database canary's RPO (rpo.ts: lost = acked and absent; the window reaches from
 * t_f back to the ack of the last key kept before the first lost one), kept apart because a cache may lose what
 * its persistence had not yet flushed (`appendfsync everysec`: about one second).
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
  const bySeq = [...writes].sort((a, b) => a.seq - b.seq);
  const sent = new Set(bySeq.map((w) => w.seq));
  const acked = bySeq.filter((w) => w.outcome === 'ok');
  const lost = acked.filter((w) => !presentSeqs.has(w.seq));
  const firstLost = lost[0];
  const kept = firstLost && acked.filter((w) => w.seq < firstLost.seq && presentSeqs.has(w.seq)).at(-1);
  // Nothing acked survived before the first loss: the window reaches back to the first write sent.
  const keptAt = kept?.ack ?? bySeq[0]?.t ?? faultAt;
  const byTime = [...writes].sort((a, b) => a.t - b.t || a.seq - b.seq);
  const outage = byTime.find((w) => w.t >= faultAt && w.outcome !== 'ok');
  const again = outage && byTime.find((w) => w.t > outage.t && w.outcome === 'ok');
  return {
    ackedWrites: acked.length,
    sentWrites: bySeq.length,
    lostAckedWrites: lost.length,
    lostSeqRanges: ranges(lost.map((w) => w.seq)),
    windowMs: firstLost ? faultAt - keptAt : 0,
    unexpectedKeys: [...presentSeqs].filter((s) => !sent.has(s)).length,
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

/** [1,2,3,7,8] -> [[1,3],[7,8]] */
function ranges(seqs: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const s of [...seqs].sort((a, b) => a - b)) {
    const last = out.at(-1);
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}
