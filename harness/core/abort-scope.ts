/**
 * An abort signal that holds for everything a piece of work does, however deep: provisioning an estate runs
 * inside `withAbortScope(signal, …)`, and every wait it makes through `poll` and every command it runs through
 * `run` end at once when the signal aborts, without each backend handing the signal down to each of them.
 *
 * An abort ends waits, nothing else: what was started is still torn down by its undo, which runs outside any
 * scope (`TeardownStack` undoes with `outsideAbortScope`), so its own waits for processes to exit are never cut
 * short.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/**
 * Run `work` with `signal` as the signal of every wait and command inside it that names none of its own, while
 * `work` runs: what it leaves behind (a server's handlers, a process's exit listener, a timer) keeps the scope
 * as its async context, but its signal stops following `signal` once `work` has settled, so an interrupt later
 * in the drill changes nothing for them that it did not change before.
 */
export async function withAbortScope<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const during = new AbortController();
  const follow = () => during.abort(signal.reason);
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  try {
    return await scope.run(during.signal, work);
  } finally {
    signal.removeEventListener('abort', follow);
  }
}

/** The signal of the scope this code runs in, if any. */
export function scopeSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/** Run `work` outside any abort scope (teardown: an undo must finish whatever was aborted). */
export function outsideAbortScope<T>(work: () => T): T {
  return scope.exit(work);
}
