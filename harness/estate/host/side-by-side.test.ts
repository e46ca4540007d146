import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DRILL_ID_ENV, newRunId, RUN_ID_ENV } from '../../core/session.ts';
import { findLeaks } from './leaks.ts';
import { freePorts } from './ports.ts';
import { together } from './together.ts';

describe('together', () => {
  it('waits for every part, also after one failed, then throws the first failure', async () => {
    const finished: string[] = [];
    const part = (name: string, ms: number, fail = false) =>
      new Promise<string>((resolve, reject) =>
        setTimeout(() => {
          finished.push(name);
          if (fail) reject(new Error(`${name} broke`));
          else resolve(name);
        }, ms),
      );
    await expect(together(part('slow', 40), part('fails', 5, true), part('later', 20, true))).rejects.toThrow(
      'fails broke',
    );
    // The slow part had finished (and could register its undo) before the failure reached the caller.
    expect(finished).toEqual(['fails', 'later', 'slow']);
    await expect(together(part('a', 5), part('b', 1))).resolves.toEqual(['a', 'b']);
  });
});

describe('drills side by side', () => {
  it('never hands out a port twice in one process', async () => {
    const batches = await Promise.all(Array.from({ length: 20 }, () => freePorts(8)));
    const all = batches.flat();
    expect(new Set(all).size).toBe(all.length);
  });

  it("counts a process of the run as a drill's leak only when it is that drill's", async () => {
    const runId = newRunId();
    const child = spawn('sleep', ['30'], {
      env: { ...process.env, [RUN_ID_ENV]: runId, [DRILL_ID_ENV]: 'drill-a' },
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => child.once('spawn', r));
      const none = { pids: [], ports: [], dirs: [] };
      expect(await findLeaks(runId, none, 'drill-a')).toEqual([`process ${child.pid} still running`]);
      expect(await findLeaks(runId, none, 'drill-b')).toEqual([]);
      // Without a drill (cleanup of a whole run), every process of the run counts.
      expect(await findLeaks(runId, none)).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
