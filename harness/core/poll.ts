import { scopeSignal } from './abort-scope.ts';
import { AbortedError, TimeoutError } from './errors.ts';

export interface PollOptions {
  /** What is being waited for, for the timeout message: "primary to accept connections". */
  subject: string;
  /** Deadline in ms from the first attempt. */
  timeoutMs: number;
  /** Pause between attempts in ms (default 50). */
  intervalMs?: number;
  signal?: AbortSignal | undefined;
}

/**
 * The one way drillbook waits: call `attempt` until it returns a value other than `undefined`/`false`, or the
 * deadline passes. A thrown error counts as "not yet" and is kept; the timeout error carries the last one, so
 * "timed out waiting for the standby" also says why. Aborting the signal (or, when none is given, the signal of
 * the abort scope it runs in: `withAbortScope`) ends the wait at once.
 */
export async function poll<T>(
  attempt: () => Promise<T | undefined | false> | T | undefined | false,
  opts: PollOptions,
): Promise<T> {
  const interval = opts.intervalMs ?? 50;
  const signal = opts.signal ?? scopeSignal();
  const deadline = performance.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    throwIfAborted(signal);
    try {
      const value = await attempt();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (e) {
      if (e instanceof AbortedError) throw e;
      lastError = e;
    }
    const left = deadline - performance.now();
    if (left <= 0) throw new TimeoutError(opts.subject, opts.timeoutMs, lastError);
    await delay(Math.min(interval, left), signal);
  }
}

/**
 * Sleep that an AbortSignal interrupts (the harness's only timer-based wait; scenarios never call it). It lasts
 * at least `ms` by the monotonic clock: a timer may fire a fraction of a millisecond early, and a calibration
 * that holds an outage for 2 s must hold it for 2 s.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  const until = performance.now() + ms;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    let timer: NodeJS.Timeout;
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const arm = () => {
      timer = setTimeout(
        () => {
          if (performance.now() < until) return arm();
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(1, Math.ceil(until - performance.now())),
      );
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    arm();
  });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

function abortError(signal: AbortSignal | undefined): AbortedError {
  const reason: unknown = signal?.reason;
  if (reason instanceof AbortedError) return reason;
  return new AbortedError(
    reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'signal',
  );
}
