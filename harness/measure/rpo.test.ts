import { describe, expect, it } from 'vitest';
import { computeRpo, toRanges } from './rpo.ts';
import type { WriteEvent } from './timeline.ts';

/** Writes every 20 ms from t=0, acked 5 ms later unless `outcome` says otherwise. */
function writes(n: number, outcome: (seq: number) => WriteEvent['outcome'] = () => 'ok'): WriteEvent[] {
  return Array.from({ length: n }, (_, seq) => {
    const o = outcome(seq);
    const t = seq * 20;
    return { kind: 'write', seq, t, outcome: o, ...(o === 'ok' ? { ack: t + 5 } : {}) };
  });
}
const seqs = (xs: Iterable<number>) => new Set(xs);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('computeRpo', () => {
  it('is zero with nothing lost', () => {
    const w = writes(100);
    const r = computeRpo(w, seqs(range(0, 99)), 1000);
    expect(r).toMatchObject({ ackedWrites: 100, lostAckedWrites: 0, rpoMs: 0, lostSeqRanges: [] });
  });

  it('measures the window back to the last safe write when writes in the middle are lost', () => {
    // Fault at t=1000 (seq 50 sent then). Async replication lost acked seqs 46..49.
    const w = writes(60, (s) => (s >= 50 ? 'fail' : 'ok'));
    const present = seqs(range(0, 45));
    const r = computeRpo(w, present, 1000);
    expect(r.lostAckedWrites).toBe(4);
    expect(r.lostSeqRanges).toEqual([[46, 49]]);
    expect(r.lastSafeSeq).toBe(45);
    expect(r.firstLostSeq).toBe(46);
    // t_f - t_ack(45) = 1000 - (45*20 + 5)
    expect(r.rpoMs).toBe(95);
    expect(r.lostBeforeFault).toBe(4);
    expect(r.lostAfterFault).toBe(0);
  });

  it('counts writes acked after t_f and then lost (PITR discards them) separately', () => {
    const w = writes(100);
    // Corruption at t=1000; restore to just before it: everything acked from seq 50 on is gone.
    const r = computeRpo(w, seqs(range(0, 49)), 1000);
    expect(r).toMatchObject({ lostAckedWrites: 50, lostBeforeFault: 0, lostAfterFault: 50, lastSafeSeq: 49 });
    expect(r.rpoMs).toBe(1000 - (49 * 20 + 5));
  });

  it('is zero when every write acked before t_f survived, though the last survivor was acked after it', () => {
    // Corruption at t=1003: seq 50 (sent at 1000) committed before it and was acked at 1005, after it; the
    // restore to just before the corruption kept it and lost what came after. Nothing acked before t_f is lost.
    const w = writes(100);
    const r = computeRpo(w, seqs(range(0, 50)), 1003);
    expect(r.lastSafeSeq).toBe(50);
    expect(r.lostAfterFault).toBe(49);
    expect(r.lostBeforeFault).toBe(0);
    expect(r.rpoMs).toBe(0);
  });

  it('classifies indeterminate writes as recovered when present and not lost when absent', () => {
    const w = writes(10, (s) => (s === 3 || s === 4 ? 'indeterminate' : 'ok'));
    const r = computeRpo(w, seqs([0, 1, 2, 3, 5, 6, 7, 8, 9]), 500);
    expect(r).toMatchObject({ recoveredWrites: 1, indeterminateAbsent: 1, lostAckedWrites: 0, rpoMs: 0 });
  });

  it('reports rows that were never sent as unexpected, and failed writes that committed anyway', () => {
    const w = writes(5, (s) => (s === 2 ? 'fail' : 'ok'));
    const r = computeRpo(w, seqs([0, 1, 2, 3, 4, 99]), 500);
    expect(r.unexpectedSeqs).toEqual([99]);
    expect(r.failedButPresent).toBe(1);
  });

  it('reaches back to the first write when nothing before the first loss survived', () => {
    const w = writes(10);
    const r = computeRpo(w, seqs([]), 500);
    expect(r.lostAckedWrites).toBe(10);
    expect(r.lastSafeSeq).toBeUndefined();
    expect(r.rpoMs).toBe(500);
  });
});

describe('toRanges', () => {
  it('folds consecutive seqs', () => {
    expect(toRanges([7, 1, 2, 3, 8, 10])).toEqual([
      [1, 3],
      [7, 8],
      [10, 10],
    ]);
  });
});
