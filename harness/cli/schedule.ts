/**
 * Which of the selected drills this invocation runs (`--shard I/N`) and how many at once (`--parallel N`).
 * Pure functions and one small pool, so the split and the order are tested without starting anything.
 */
import { UsageError } from '../core/errors.ts';

export interface Shard {
  /** 1-based: the I of `--shard I/N`. */
  index: number;
  count: number;
}

/** `--shard 2/3` -> { index: 2, count: 3 }; anything else is one usage line. */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new UsageError(`run: --shard must be I/N with 1 <= I <= N (e.g. 1/3), not '${text}'`);
  return { index, count };
}

/**
 * The drills of shard I of N: the selection sorted by id, then every N-th from the I-th. It depends only on the
 * ids selected, never on timing or the machine, so N jobs of a CI matrix given the same selection run every
 * drill exactly once between them.
 */
export function shardOf<T extends { id: string }>(drills: readonly T[], shard: Shard): T[] {
  const byId = [...drills].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return byId.filter((_, i) => i % shard.count === shard.index - 1);
}

/** `--parallel N`: a positive integer. */
export function parseParallel(text: string): number {
  const n = Number(text);
  if (!/^\d{1,3}$/.test(text.trim()) || !Number.isInteger(n) || n < 1)
    throw new UsageError(`run: --parallel must be a positive integer, not '${text}'`);
  return n;
}

/**
 * Run `work` over `items` with at most `limit` at once, starting them in order; results come back in the
 * items' order whatever order they finish in. `stop()` true stops starting new items (Ctrl-C); items not
 * started are left out of the results.
 */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
  stop: () => boolean = () => false,
): Promise<R[]> {
  const results: (R | undefined)[] = items.map(() => undefined);
  const started: boolean[] = items.map(() => false);
  let next = 0;
  const lane = async () => {
    while (next < items.length && !stop()) {
      const i = next++;
      started[i] = true;
      results[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results.filter((_, i) => started[i]) as R[];
}
