import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';
import { AbortedError, TimeoutError, UsageError } from './errors.ts';
import { delay, poll } from './poll.ts';
import { TeardownStack } from './teardown.ts';
import { isRunId, newRunId } from './session.ts';
import { run } from './exec.ts';

describe('parseDuration', () => {
  it.each([
    ['100ms', 100],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['30min', 1_800_000],
    ['4h', 14_400_000],
    ['100d', 8_640_000_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '30', 's', '5 parsecs', '1h-2m', '1x'])('refuses %j with a usage error', (text) => {
    expect(() => parseDuration(text, '--objective rto')).toThrow(UsageError);
    expect(() => parseDuration(text, '--objective rto')).toThrow(/--objective rto/);
  });

  it('formats for people', () => {
    expect(formatDuration(212)).toBe('212 ms');
    expect(formatDuration(2345)).toBe('2.35 s');
    expect(formatDuration(1_800_000)).toBe('30 min');
    expect(formatDuration(14_400_000)).toBe('4 h');
  });
});

describe('poll', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(
      poll(() => (++n >= 3 ? n : undefined), { subject: 'n', timeoutMs: 1000, intervalMs: 1 }),
    ).resolves.toBe(3);
  });

  it('times out carrying the last real error', async () => {
    const p = poll(
      () => {
        throw new Error('connection refused');
      },
      { subject: 'the primary', timeoutMs: 30, intervalMs: 5 },
    );
    await expect(p).rejects.toThrow(TimeoutError);
    await expect(p).rejects.toThrow(/the primary.*connection refused/);
  });

  it('delay lasts at least as long as asked, by the monotonic clock', async () => {
    for (const ms of [1, 7, 30]) {
      const t = performance.now();
      await delay(ms);
      expect(performance.now() - t).toBeGreaterThanOrEqual(ms);
    }
  });

  it('stops at once when aborted', async () => {
    const ac = new AbortController();
    const p = poll(() => undefined, { subject: 'x', timeoutMs: 10_000, intervalMs: 1000, signal: ac.signal });
    ac.abort(new AbortedError('SIGINT'));
    await expect(p).rejects.toThrow(AbortedError);
  });
});

describe('TeardownStack', () => {
  it('undoes last-in first-out, keeps going past failures and reports each', async () => {
    const order: string[] = [];
    const stack = new TeardownStack();
    stack.push('a', () => void order.push('a'));
    stack.push('b', () => {
      throw new Error('b broke');
    });
    stack.push('c', () => void order.push('c'));
    const results = await stack.run();
    expect(order).toEqual(['c', 'a']);
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['c', true],
      ['b', false],
      ['a', true],
    ]);
    expect(results[1]?.error).toBe('b broke');
    expect(stack.size).toBe(0);
  });

  it('runs neighbours of one group at once, and everything else in order around them', async () => {
    const log: string[] = [];
    const slow = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
    };
    const stack = new TeardownStack();
    stack.push('dir', slow('dir', 1));
    stack.push('primary', slow('primary', 30), 1000, { group: 'servers' });
    stack.push('standby', slow('standby', 10), 1000, { group: 'servers' });
    stack.push('api', slow('api', 1));
    const results = await stack.run();
    expect(log).toEqual([
      'start api',
      'end api',
      'start standby',
      'start primary',
      'end standby',
      'end primary',
      'start dir',
      'end dir',
    ]);
    expect(results.map((r) => r.name)).toEqual(['api', 'standby', 'primary', 'dir']);
  });

  it('gives each undo a deadline', async () => {
    const stack = new TeardownStack();
    stack.push('hangs', () => new Promise(() => {}), 20);
    const [r] = await stack.run();
    expect(r).toMatchObject({ ok: false });
    expect(r?.error).toMatch(/longer than 20 ms/);
  });
});

describe('session and exec', () => {
  it('makes sortable, recognisable run ids', () => {
    const id = newRunId(new Date('2026-11-27T16:10:02.123Z'));
    expect(id).toMatch(/^20261127T161002Z-[0-9a-f]{6}$/);
    expect(isRunId(id)).toBe(true);
    expect(isRunId('../etc')).toBe(false);
  });

  it('runs argument arrays without a shell', async () => {
    const r = await run('printf', ['%s|', 'a b', '$(id)']);
    expect(r.stdout).toBe('a b|$(id)|');
  });

  it('kills a command at its deadline', async () => {
    await expect(run('sleep', ['5'], { timeoutMs: 50 })).rejects.toThrow(/timed out after 50 ms/);
  });
});
