import { describe } from './errors.ts';

export interface TeardownEntry {
  /** What this undoes, for the cleanup attestation: "stop postgres primary (pid 1234)". */
  name: string;
  undo: () => Promise<void> | void;
  timeoutMs: number;
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
  push(name: string, undo: () => Promise<void> | void, timeoutMs = 10_000): () => void {
    const entry = { name, undo, timeoutMs };
    this.entries.push(entry);
    return () => {
      const i = this.entries.indexOf(entry);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  get size(): number {
    return this.entries.length;
  }

  /** Run every undo, newest first. Calling it again while it runs returns the same results. */
  run(): Promise<TeardownResult[]> {
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<TeardownResult[]> {
    const results: TeardownResult[] = [];
    for (let entry = this.entries.pop(); entry; entry = this.entries.pop()) {
      const started = performance.now();
      try {
        await withTimeout(Promise.resolve().then(entry.undo), entry.timeoutMs, entry.name);
        results.push({ name: entry.name, ok: true, durationMs: performance.now() - started });
      } catch (e) {
        results.push({
          name: entry.name,
          ok: false,
          durationMs: performance.now() - started,
          error: describe(e),
        });
      }
    }
    this.running = undefined;
    return results;
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
