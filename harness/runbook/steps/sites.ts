/**
 * What a two-site drill does around the runbook's DR blocks that no operator types: the partitioned primary
 * site coming back (its network whole again), and the split-brain check that follows it: does any client write
 * still land on the old site?
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, StepError } from '../../core/errors.ts';
import { delay } from '../../core/poll.ts';
import { blockOf } from '../markdown.ts';
import type { Step, StepContext } from '../step.ts';

/**
 * The whole primary site dies in one instant (every role of it SIGKILLed at once), as a step: what a drill that
 * starts after a site loss (a failback) prepares with before its traffic starts. With `shippedFirst`, a key is
 * written to the primary Redis and the current WAL segment closed first, and the site dies once both the next
 * snapshot and that segment have arrived at the DR site: the activation then starts from everything there was.
 */
export function loseSite(opts: { shippedFirst?: boolean } = {}): Step {
  return {
    name: `the primary site is lost (every role of it killed at once${opts.shippedFirst ? ', after shipping' : ''})`,
    async run(ctx) {
      const site = ctx.estate.sites?.primary;
      const dr = ctx.estate.sites?.dr;
      if (!site || !dr) throw new StepError('loseSite needs a two-site estate');
      const shipped: string[] = [];
      if (opts.shippedFirst) {
        const since = Date.now();
        const redis = ctx.estate.redis;
        if (redis) {
          const client = new Redis({
            host: '127.0.0.1',
            port: redis.port,
            lazyConnect: true,
            maxRetriesPerRequest: 1,
          });
          try {
            await client.connect();
            await client.set('drill:before-site-loss', new Date(since).toISOString());
          } finally {
            client.disconnect();
          }
          const rdb = join(dr.snapshotDir, 'dump.rdb');
          await waitFor(
            () => (mtimeOf(rdb) ?? 0) >= since - 1000,
            15_000,
            'a Redis snapshot shipped',
            ctx.signal,
          );
          shipped.push('Redis snapshot');
        }
        const [row] = await ctx.estate.postgres.primary.query<{ f: string }>(
          'SELECT pg_walfile_name(pg_switch_wal()) AS f',
        );
        const segment = row?.f ?? '';
        await waitFor(
          () => mtimeOf(join(dr.walDir, segment)) !== undefined,
          15_000,
          `segment ${segment} shipped`,
          ctx.signal,
        );
        shipped.push(`WAL through ${segment}`);
      }
      await site.kill();
      return {
        detail: `${site.name} lost: ${site.roles.map((r) => r.name).join(', ')} killed${shipped.length ? ` (after ${shipped.join(' and ')} reached ${dr.name})` : ''}`,
      };
    },
  };
}

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

async function waitFor(
  ok: () => boolean,
  withinMs: number,
  what: string,
  signal: AbortSignal,
): Promise<void> {
  const end = performance.now() + withinMs;
  while (!ok()) {
    if (performance.now() > end) throw new StepError(`no ${what} within ${withinMs / 1000} s`);
    await delay(50, signal);
  }
}

/** The partitioned primary site's network comes back, as a repaired link or a site whose power returns. */
export function healSite(): Step {
  return {
    name: 'the primary site comes back (its network whole again)',
    async run(ctx) {
      const site = ctx.estate.sites?.primary;
      if (!site?.heal)
        throw new StepError('healSite needs a two-site estate whose primary site was partitioned');
      const started = performance.now();
      await site.heal();
      const running = site.roles.filter((r) => r.running()).map((r) => r.name);
      return {
        detail: `${site.name} reachable again after ${(performance.now() - started).toFixed(0)} ms; running there: ${running.length ? running.join(', ') : 'nothing'}`,
      };
    },
  };
}

export interface SplitBrainOptions {
  /** The runbook block that fences the site: a failed check names its line. */
  fenceBlock: string;
  /** How long the stale client keeps trying (ms). */
  windowMs?: number;
  /** Between attempts (ms). */
  everyMs?: number;
}

/**
 * The split-brain check, after the old site came back: a client that still holds the old site's addresses (a
 * cached DNS answer, a pool configured with the site's own database, the old site's own services) tries to
 * write straight to the old primary database for `windowMs`. The fence held when none of those writes is
 * acknowledged; one acknowledged write is a second primary taking writes the promoted DR database never sees,
 * and the step fails naming the runbook line of the fence block. The roles of the site still running are
 * listed either way: that is how the report says the fence held (or did not).
 */
export function splitBrainCheck(opts: SplitBrainOptions): Step {
  const windowMs = opts.windowMs ?? 3000;
  const everyMs = opts.everyMs ?? 200;
  return {
    name: 'split-brain check: no client write lands on the old site',
    verifies: true,
    async run(ctx) {
      const site = ctx.estate.sites?.primary;
      if (!site) throw new StepError('splitBrainCheck needs a two-site estate');
      const old = ctx.estate.postgres.primary;
      const conn = old.connection();
      const where = `${old.name} (${conn.host}:${conn.port})`;
      const fence = fenceSource(ctx, opts.fenceBlock);
      const attempts: { ok: boolean; why?: string }[] = [];
      const end = performance.now() + windowMs;
      while (performance.now() < end) {
        const at = performance.now();
        attempts.push(await staleWrite(conn, ctx.signal));
        await delay(Math.max(0, everyMs - (performance.now() - at)), ctx.signal);
      }
      const acked = attempts.filter((a) => a.ok).length;
      const reasons = [...new Set(attempts.filter((a) => !a.ok).map((a) => a.why ?? 'failed'))];
      const running = site.roles.filter((r) => r.running()).map((r) => r.name);
      const actual = `${acked} of ${attempts.length} acknowledged`;
      const check = {
        name: `writes straight to ${where} over ${(windowMs / 1000).toFixed(1)} s after ${site.name} came back`,
        expected: `0 of ${attempts.length} acknowledged`,
        actual,
        passed: acked === 0,
      };
      const how =
        `a client holding the old addresses tried ${attempts.length} writes straight to ${where} over ` +
        `${(windowMs / 1000).toFixed(1)} s after ${site.name} came back: ${actual}` +
        `${reasons.length ? ` (${reasons.join('; ')})` : ''}; running at ${site.name}: ${running.length ? running.join(', ') : 'nothing'}`;
      if (acked > 0)
        throw new StepError(
          `split brain: ${how}. The fence (runbook block ${opts.fenceBlock}, ${fence}) did not hold: ${old.name} took writes the promoted DR database never sees`,
          { source: fence, checks: [check] },
        );
      return { detail: `the fence held: ${how}`, checks: [check] };
    },
  };
}

function fenceSource(ctx: StepContext, id: string): string {
  const doc = ctx.runbook;
  if (!doc) return `runbook block ${id}`;
  return `${doc.path}#L${blockOf(doc, id).line}`;
}

/** One write of a client that never learnt of the failover, bounded by a 1 s connect and statement timeout. */
async function staleWrite(
  conn: { host: string; port: number; user: string; password: string; database: string },
  signal: AbortSignal,
): Promise<{ ok: boolean; why?: string }> {
  if (signal.aborted) return { ok: false, why: 'aborted' };
  const client = new pg.Client({
    ...conn,
    connectionTimeoutMillis: 1000,
    statement_timeout: 1000,
    query_timeout: 1500,
    application_name: 'stale-client',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(
      'CREATE TABLE IF NOT EXISTS drill_split_brain (at timestamptz NOT NULL DEFAULT now())',
    );
    await client.query('INSERT INTO drill_split_brain DEFAULT VALUES');
    return { ok: true };
  } catch (e) {
    return { ok: false, why: reason(e) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A failure's kind without its changing details (addresses stay, timings go): "ECONNREFUSED", "timeout". */
function reason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code) return code;
  const text = describe(e);
  return /timeout/i.test(text) ? 'connection timeout' : (text.split('\n')[0] ?? 'failed');
}
