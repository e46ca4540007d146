import { describe, expect, it } from 'vitest';
import { classifyRedisError } from './redis-canary.ts';

describe('redis canary', () => {
  it('counts a SET refused before sending as failed, and one cut mid-command as indeterminate', () => {
    expect(classifyRedisError("Stream isn't writeable and enableOfflineQueue options is false")).toBe('fail');
    expect(classifyRedisError('connect ECONNREFUSED 127.0.0.1:6379')).toBe('fail');
    expect(classifyRedisError('LOADING Redis is loading the dataset in memory')).toBe('fail');
    expect(classifyRedisError('Command timed out')).toBe('indeterminate');
    expect(classifyRedisError('read ECONNRESET')).toBe('indeterminate');
  });
});
