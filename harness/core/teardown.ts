import { outsideAbortScope } from './abort-scope.ts';
import { describe } from './errors.ts';

export interface TeardownEntry {
  /** What this undoes, for the cleanup attestation: "stop postgres primary (pid 1234)". */
  name: string;
  undo: () => Promise<void> | void;
  timeoutMs: number;
  /**
   * Undos of one group that lie next to each other on the stack do not depend on each other (the containers of
   * an estate, its processes): they run at once, each still with its own deadline and result.
   */
  group?: string;
}

export interface TeardownResult {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

/**
 * Register the undo when you acquire. Undos run last-in first-out; each has its own deadline; every error is
 * collected and none stops the others; an undo of something already gone should simply succeed.
 */
export class TeardownStack {
  private readonly entries: TeardownEntry[] = [];
  private running: Promise<TeardownResult[]> | undefined;

  /** Register an undo. Returns a function that removes it again (for resources released early by hand). */
  push(
    name: string,
    undo: () => Promise<void> | void,
    timeoutMs = 10_000,
    opts: { group?: string } = {},
  ): () => void {
    const entry: TeardownEntry = { name, undo, timeoutMs, ...(opts.group ? { group: opts.group } : {}) };
    this.entries.push(entry);
    return () => {
      const i = this.entries.indexOf(entry);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * Run every undo, newest first (neighbours of one group at once). Calling it again while it runs returns the
   * same results.
   */
  run(): Promise<TeardownResult[]> {
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<TeardownResult[]> {
    const results: TeardownResult[] = [];
    for (let entry = this.entries.pop(); entry; entry = this.entries.pop()) {
      const batch = [entry];
      while (entry.group !== undefined && this.entries.at(-1)?.group === entry.group) {
        batch.push(this.entries.pop() as TeardownEntry);
      }
      results.push(...(await Promise.all(batch.map(undoOne))));
    }
    this.running = undefined;
    return results;
  }
}

async function undoOne(entry: TeardownEntry): Promise<TeardownResult> {
  const started = performance.now();
  try {
    // An undo finishes what an aborted provisioning left half-done: its own waits are not cut short.
    await withTimeout(
      outsideAbortScope(() => Promise.resolve().then(entry.undo)),
      entry.timeoutMs,
      entry.name,
    );
    return { name: entry.name, ok: true, durationMs: performance.now() - started };
  } catch (e) {
    return { name: entry.name, ok: false, durationMs: performance.now() - started, error: describe(e) };
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`teardown "${name}" took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
