import { AbortedError, StepError, TimeoutError } from '../core/errors.ts';

export interface StepDeadline {
  /** The step's deadline in ms from now. */
  timeoutMs: number;
  /** The drill's own signal (Ctrl-C, SIGTERM, the drill's deadline). */
  drillSignal: AbortSignal;
  /** What is running, for the timeout message: `step "promote postgres-standby"`. */
  subject: string;
  /**
   * How long a body that ignores its aborted signal is still waited for before it is left behind, so that one
   * that does honour it can finish its own cleanup (kill its process group, close its client).
   */
  graceMs: number;
}

/**
 * Run `body` with a signal that fires at its deadline (combined with the drill's), so that what it waits on
 * (poll, delay, a runbook block's process group, an HTTP request) stops at once, rather than racing a timer while
 * the body keeps running. A body that ran out of time fails with a TimeoutError naming the subject and the
 * limit (its `lastError` is the body's StepError, when it threw one); an aborted drill fails with an
 * AbortedError.
 */
export async function runWithDeadline<T>(
  body: (signal: AbortSignal) => Promise<T>,
  d: StepDeadline,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new TimeoutError(d.subject, d.timeoutMs, undefined)),
    d.timeoutMs,
  );
  const signal = AbortSignal.any([d.drillSignal, deadline.signal]);
  try {
    return await settledOrAbandoned(body(signal), signal, d.graceMs);
  } catch (e) {
    if (d.drillSignal.aborted)
      throw e instanceof AbortedError ? e : new AbortedError(reasonOf(d.drillSignal));
    // Out of time: a TimeoutError, which keeps the step's own evidence (a runbook block's line and output).
    if (deadline.signal.aborted)
      throw new TimeoutError(d.subject, d.timeoutMs, e instanceof StepError ? e : undefined);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** The body's own outcome; once `signal` has fired, at most `graceMs` more of waiting for it. */
function settledOrAbandoned<T>(p: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(signal.reason as Error), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'signal';
}
