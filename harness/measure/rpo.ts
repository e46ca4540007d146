import type { WriteEvent } from './timeline.ts';

export interface RpoResult {
  /** Writes the application acknowledged (2xx after commit). */
  ackedWrites: number;
  sentWrites: number;
  /** Acked but absent from the authoritative database after recovery. */
  lostAckedWrites: number;
  /** The lost seqs as inclusive ranges, e.g. [[812, 815]]. */
  lostSeqRanges: [number, number][];
  /** Lost writes acked before t_f, and at or after it (PITR: writes after the corruption are lost too). */
  lostBeforeFault: number;
  lostAfterFault: number;
  /** Present in the database but never sent: always an error in the harness or the system under test. */
  unexpectedSeqs: number[];
  /** Outcome unknown when sent (timeout, connection cut), and present afterwards. */
  recoveredWrites: number;
  /** Outcome unknown and absent afterwards: not counted as lost, since nobody was told it committed. */
  indeterminateAbsent: number;
  /** The application answered "not committed" but the row is there. */
  failedButPresent: number;
  /**
   * RPO = t_f - t_ack(p); p is the last acked write before the first lost one. 0 when nothing acked was lost, and
   * when p was acked after t_f (every write acked before the fault survived).
   */
  rpoMs: number;
  /** p's seq, when something was lost. */
  lastSafeSeq?: number;
  firstLostSeq?: number;
}

/**
 * Classify every canary write against the set of seqs read back from the authoritative database, and derive
 * the RPO as a time window. Pure: the same inputs always give the same answer.
 */
export function computeRpo(
  writes: readonly WriteEvent[],
  presentSeqs: ReadonlySet<number>,
  faultAt: number,
): RpoResult {
  const sorted = [...writes].sort((a, b) => a.seq - b.seq);
  const sent = new Set(sorted.map((w) => w.seq));
  const acked = sorted.filter((w) => w.outcome === 'ok');
  const lost = acked.filter((w) => !presentSeqs.has(w.seq));
  const indeterminate = sorted.filter((w) => w.outcome === 'indeterminate');

  const result: RpoResult = {
    ackedWrites: acked.length,
    sentWrites: sorted.length,
    lostAckedWrites: lost.length,
    lostSeqRanges: toRanges(lost.map((w) => w.seq)),
    lostBeforeFault: lost.filter((w) => (w.ack ?? w.t) < faultAt).length,
    lostAfterFault: lost.filter((w) => (w.ack ?? w.t) >= faultAt).length,
    unexpectedSeqs: [...presentSeqs].filter((s) => !sent.has(s)).sort((a, b) => a - b),
    recoveredWrites: indeterminate.filter((w) => presentSeqs.has(w.seq)).length,
    indeterminateAbsent: indeterminate.filter((w) => !presentSeqs.has(w.seq)).length,
    failedButPresent: sorted.filter((w) => w.outcome === 'fail' && presentSeqs.has(w.seq)).length,
    rpoMs: 0,
  };
  const firstLost = lost[0];
  if (firstLost === undefined) return result;

  const safe = acked.filter((w) => w.seq < firstLost.seq && presentSeqs.has(w.seq)).at(-1);
  // Nothing acked survived before the first loss: the window reaches back to the first write sent.
  const safeAt = safe?.ack ?? sorted[0]?.t ?? faultAt;
  // A survivor acked after t_f (sent before it, its answer after) means every write acked before t_f survived:
  // no acknowledged data from before the fault is lost, RPO 0, not a negative window.
  result.rpoMs = Math.max(0, faultAt - safeAt);
  result.firstLostSeq = firstLost.seq;
  if (safe) result.lastSafeSeq = safe.seq;
  return result;
}

/** [1,2,3,7,8] -> [[1,3],[7,8]] */
export function toRanges(seqs: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const s of [...seqs].sort((a, b) => a - b)) {
    const last = ranges.at(-1);
    if (last && s === last[1] + 1) last[1] = s;
    else ranges.push([s, s]);
  }
  return ranges;
}
