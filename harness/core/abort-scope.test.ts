import { describe, expect, it } from 'vitest';
import { withAbortScope } from './abort-scope.ts';
import { AbortedError } from './errors.ts';
import { run } from './exec.ts';
import { delay, poll } from './poll.ts';
import { TeardownStack } from './teardown.ts';

describe('abort scope', () => {
  it('ends a wait that names no signal when the scope aborts', async () => {
    const ac = new AbortController();
    const started = performance.now();
    setTimeout(() => ac.abort(new AbortedError('SIGINT')), 50);
    const waited = withAbortScope(ac.signal, () =>
      poll(() => false, { subject: 'never', timeoutMs: 10_000, intervalMs: 20 }),
    );
    await expect(waited).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('kills a command that names no signal when the scope aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new AbortedError('SIGINT')), 50);
    const started = performance.now();
    await expect(withAbortScope(ac.signal, () => run('sleep', ['10']))).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('does not cut short an undo run by teardown after the abort', async () => {
    const ac = new AbortController();
    const stack = new TeardownStack();
    let waitedMs = 0;
    await withAbortScope(ac.signal, async () => {
      stack.push('wait for a process to exit', async () => {
        const t = performance.now();
        let n = 0;
        await poll(() => ++n >= 3, { subject: 'exit', timeoutMs: 5_000, intervalMs: 20 });
        waitedMs = performance.now() - t;
      });
      ac.abort(new AbortedError('SIGINT'));
      const [result] = await stack.run();
      expect(result).toMatchObject({ ok: true });
    });
    expect(waitedMs).toBeGreaterThanOrEqual(30);
  });

  it('leaves waits outside any scope alone', async () => {
    await expect(delay(1)).resolves.toBeUndefined();
    await expect(poll(() => true, { subject: 'now', timeoutMs: 100 })).resolves.toBe(true);
  });
});

describe('abort scope, after its work', () => {
  it('does not abort what the work left behind when the signal aborts later', async () => {
    const ac = new AbortController();
    let later: Promise<unknown> = Promise.resolve();
    await withAbortScope(ac.signal, () => {
      // A timer set inside the scope (as a server's handler or an exit listener would be) fires after it.
      later = new Promise((resolve, reject) => {
        setTimeout(() => {
          let n = 0;
          poll(() => ++n >= 3, { subject: 'later', timeoutMs: 5_000, intervalMs: 20 }).then(resolve, reject);
        }, 30);
      });
      return Promise.resolve();
    });
    ac.abort(new AbortedError('SIGINT'));
    await expect(later).resolves.toBe(true);
  });
});
