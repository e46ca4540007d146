/**
 * `--parallel` and `--shard` through the CLI: drills of one run side by side on the local backend, each judged on
 * its own (a drill's leak check must not count its neighbour's estate), and a shard that runs its share only.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { drillInOwnTmp, runDrills } from '../cli.ts';

describe('drills side by side on the local backend', () => {
  it('runs two drills at once, each passing with its own estate, and leaves nothing behind', async () => {
    const { res, summary } = await runDrills([
      'q1-db-failover',
      'redis-failure',
      '--backend',
      'local',
      '--parallel',
      '2',
    ]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    // One run, both drills, in the order they were asked for, each passed (its cleanup criterion included).
    expect(summary.drills.map((d) => [d.id, d.status])).toEqual([
      ['q1-db-failover', 'passed'],
      ['redis-failure', 'passed'],
    ]);
    // Each result line printed whole.
    expect(res.stdout).toMatch(/^PASSED q1-db-failover rto=\S+ .*$/m);
    expect(res.stdout).toMatch(/^PASSED redis-failure rto=\S+ .*$/m);
    // They overlapped: the whole took less than the two drills one after the other.
    const durations = summary.drills.map((d) => d.durationMs);
    expect(res.ms).toBeLessThan(durations.reduce((a, b) => a + b, 0));
    expect(labelledProcesses(summary.runId)).toEqual([]);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`drillbook-${summary.runId}`))).toEqual([]);
  });

  it('a shard with no drill of the selection says so, exits 0 and starts nothing', async () => {
    const res = await drillInOwnTmp(['run', 'q1-db-failover', '--backend', 'local', '--shard', '2/2']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('shard 2/2: 0 of 1 drills\n');
    expect(res.created).toEqual([]);
  });

  it.each([
    [['--parallel', '0'], /--parallel must be a positive integer, not '0'/],
    [['--shard', '3/2'], /--shard must be I\/N with 1 <= I <= N/],
    [['--probe-interval', '1ms'], /--probe-interval must be between 5ms and 10s/],
  ])('drill run %j exits 2 with one clear line and starts nothing', async (flags, message) => {
    const res = await drillInOwnTmp(['run', 'q1-db-failover', '--backend', 'local', ...flags]);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
    expect(res.created).toEqual([]);
  });
});
