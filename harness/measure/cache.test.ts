import { describe, expect, it } from 'vitest';
import { computeCacheLoss } from './cache.ts';
import type { CacheWriteEvent } from './timeline.ts';

/** A SET every 10 ms from t=0, acked 1 ms later unless `outcome` says otherwise. */
function sets(
  n: number,
  outcome: (seq: number) => CacheWriteEvent['outcome'] = () => 'ok',
): CacheWriteEvent[] {
  return Array.from({ length: n }, (_, seq) => {
    const o = outcome(seq);
    const t = seq * 10;
    return { kind: 'cache-write', seq, t, outcome: o, ...(o === 'ok' ? { ack: t + 1 } : {}) };
  });
}
const upTo = (n: number) => new Set(Array.from({ length: n }, (_, i) => i));

describe('computeCacheLoss', () => {
  it('measures the window of acked keys the restart did not bring back, and when writes were acked again', () => {
    // Killed at t=95; SETs 10..19 refused while Redis is down, acked again from seq 20; keys 7..9 not persisted.
    const writes = sets(30, (s) => (s >= 10 && s < 20 ? 'fail' : 'ok'));
    const present = new Set([...upTo(7), ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
    const r = computeCacheLoss(writes, present, 95);
    expect(r).toMatchObject({
      ackedWrites: 20,
      sentWrites: 30,
      lostAckedWrites: 3,
      lostSeqRanges: [[7, 9]],
      windowMs: 95 - 61,
      unexpectedKeys: 0,
      keysRead: 17,
      outageSeenAfterMs: 100 - 95,
      ackedAgainAfterMs: 201 - 95,
    });
  });

  it('is a zero window when every acked key is back, and counts keys never written', () => {
    const r = computeCacheLoss(sets(10), new Set([...upTo(10), 99]), 50);
    expect(r).toMatchObject({ lostAckedWrites: 0, windowMs: 0, unexpectedKeys: 1 });
    expect(r.outageSeenAfterMs).toBeUndefined();
    expect(r.ackedAgainAfterMs).toBeUndefined();
  });

  it('has no ack after the outage when the cache never came back', () => {
    const r = computeCacheLoss(
      sets(20, (s) => (s >= 10 ? 'indeterminate' : 'ok')),
      upTo(10),
      95,
    );
    expect(r.outageSeenAfterMs).toBe(5);
    expect(r.ackedAgainAfterMs).toBeUndefined();
  });
});
