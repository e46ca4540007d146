import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { parseProbeInterval } from './commands.ts';
import { parseParallel, parseShard, pool, shardOf } from './schedule.ts';

const drills = ['q1-b', 'redis', 'q1-a', 'backup', 'q3'].map((id) => ({ id }));

describe('--shard', () => {
  it('splits the selection so that the shards together run every drill exactly once', () => {
    for (const count of [1, 2, 3, 5, 7]) {
      const all = Array.from({ length: count }, (_, i) => shardOf(drills, { index: i + 1, count }));
      const ids = all.flat().map((d) => d.id);
      expect(ids.sort()).toEqual(drills.map((d) => d.id).sort());
      // Balanced: no shard has more than one drill more than another.
      const sizes = all.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('depends only on the ids selected, not on their order', () => {
    const reversed = [...drills].reverse();
    expect(shardOf(reversed, { index: 2, count: 3 })).toEqual(shardOf(drills, { index: 2, count: 3 }));
    expect(shardOf(drills, { index: 1, count: 2 }).map((d) => d.id)).toEqual(['backup', 'q1-b', 'redis']);
  });

  it('refuses what is not I/N with 1 <= I <= N, in one line', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/2', '3/2', '1/0', '1', 'a/b', '1/2/3', '-1/2', ''])
      expect(() => parseShard(bad)).toThrow(UsageError);
  });
});

describe('--parallel', () => {
  it('takes a positive integer only', () => {
    expect(parseParallel('4')).toBe(4);
    for (const bad of ['0', '-1', '1.5', 'two', '']) expect(() => parseParallel(bad)).toThrow(UsageError);
  });

  it('runs at most N at once and returns results in the items’ order', async () => {
    let running = 0;
    let peak = 0;
    const out = await pool([30, 5, 20, 1, 10], 2, async (ms, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return i;
    });
    expect(out).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
  });

  it('starts nothing more once told to stop, and returns what it started', async () => {
    let stop = false;
    const out = await pool(
      [1, 2, 3, 4],
      1,
      (x) => {
        if (x === 2) stop = true;
        return Promise.resolve(x);
      },
      () => stop,
    );
    expect(out).toEqual([1, 2]);
  });
});

describe('--probe-interval', () => {
  it('takes a duration between 5 ms and 10 s', () => {
    expect(parseProbeInterval(undefined)).toBeUndefined();
    expect(parseProbeInterval('15ms')).toBe(15);
    expect(parseProbeInterval('1s')).toBe(1000);
    for (const bad of ['1ms', '4ms', '11s', '15', 'fast', ''])
      expect(() => parseProbeInterval(bad)).toThrow(UsageError);
  });
});
