import { describe, expect, it } from 'vitest';
import { computeRpo } from '../measure/rpo.ts';
import type { WriteEvent } from '../measure/timeline.ts';
import { classifyRedisError } from './redis-canary.ts';

describe('redis canary', () => {
  it('counts a SET refused before sending as failed, and one cut mid-command as indeterminate', () => {
    expect(classifyRedisError("Stream isn't writeable and enableOfflineQueue options is false")).toBe('fail');
    expect(classifyRedisError('connect ECONNREFUSED 127.0.0.1:6379')).toBe('fail');
    expect(classifyRedisError('LOADING Redis is loading the dataset in memory')).toBe('fail');
    expect(classifyRedisError('Command timed out')).toBe('indeterminate');
    expect(classifyRedisError('read ECONNRESET')).toBe('indeterminate');
  });

  it('measures the cache RPO as the window of acked keys the restart did not bring back', () => {
    // 10 ms apart, acked 1 ms later; the kill at t=95; keys 7..9 (acked at 71, 81, 91) missing afterwards.
    const writes: WriteEvent[] = Array.from({ length: 10 }, (_, seq) => ({
      kind: 'write',
      seq,
      t: seq * 10,
      ack: seq * 10 + 1,
      outcome: 'ok',
    }));
    const rpo = computeRpo(writes, new Set([0, 1, 2, 3, 4, 5, 6]), 95);
    expect(rpo.lostAckedWrites).toBe(3);
    expect(rpo.lostSeqRanges).toEqual([[7, 9]]);
    expect(rpo.rpoMs).toBe(95 - 61);
  });
});
