import { describe, expect, it } from 'vitest';
import type { CacheMeasurement } from '../measure/cache.ts';
import { cacheCriterion, evaluate } from './verdict.ts';

const cache = (o: Partial<CacheMeasurement> = {}): CacheMeasurement => ({
  ackedWrites: 500,
  sentWrites: 520,
  lostAckedWrites: 0,
  lostSeqRanges: [],
  windowMs: 0,
  unexpectedKeys: 0,
  keysRead: 500,
  outageSeenAfterMs: 12,
  ackedAgainAfterMs: 340,
  maxWindowMs: 2000,
  writeIntervalMs: 10,
  ...o,
});

describe('the cache criterion', () => {
  it('passes a loss window within the accepted one, naming what was lost', () => {
    const c = cacheCriterion(
      '"redis-failure"',
      cache({ lostAckedWrites: 3, lostSeqRanges: [[7, 9]], windowMs: 840 }),
    );
    expect(c).toMatchObject({
      name: 'cache',
      passed: true,
      objective: 'acked keys lost within <= 2 s before the crash',
      measured: 'window 840 ms (3 of 500 acked keys lost: seqs 7-9)',
    });
  });

  it('fails a window beyond the accepted one, a key never written, or a cache that never took writes again', () => {
    expect(cacheCriterion('"x"', cache({ windowMs: 2500, lostAckedWrites: 250 })).message).toBe(
      'cache loss window 2.5 s exceeded 2 s for "x" (250 of 500 acked keys lost)',
    );
    expect(cacheCriterion('"x"', cache({ unexpectedKeys: 2 })).passed).toBe(false);
    expect(cacheCriterion('"x"', cache({ ackedAgainAfterMs: undefined })).message).toMatch(
      /took no canary write again after its outage/,
    );
    expect(cacheCriterion('"x"', cache({ ackedWrites: 0 })).passed).toBe(false);
  });

  it('is judged beside the other criteria only when the drill measured its cache', () => {
    expect(evaluate('x', {}, undefined, undefined, [], true).map((c) => c.name)).toEqual([]);
    expect(evaluate('x', {}, undefined, undefined, [], true, cache()).map((c) => c.name)).toEqual(['cache']);
  });
});
