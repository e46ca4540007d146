import { Redis } from 'ioredis';
import type { Clock } from '../core/clock.ts';
import { parseDuration, type DurationString } from '../core/duration.ts';
import { describe as describeError, EstateError } from '../core/errors.ts';
import { poll } from '../core/poll.ts';
import { computeCacheLoss } from '../measure/cache.ts';
import { evidenceOf } from '../measure/steady.ts';
import type { CacheWriteEvent, WriteOutcome } from '../measure/timeline.ts';
import { once, type Observer, type StartedObserver } from './observer.ts';
import { openLoop } from './open-loop.ts';

export interface RedisCanaryOptions {
  /** redis://127.0.0.1:<port> */
  url: string;
  /** Key prefix of this run's canary keys: `<prefix><seq>`. */
  prefix: string;
  intervalMs: number;
  /** A write without an answer within this time is indeterminate. */
  timeoutMs: number;
  /** Stop by itself after this many writes (a canary never runs unbounded). */
  maxWrites: number;
  /**
   * Where the service's Redis is now (two sites: the DR site's once traffic is switched): asked after a failed
   * write, at most every 250 ms, and followed when it changed, as a client follows a DNS name.
   */
  resolve?: () => Promise<string>;
}

/**
 * The cache's canary: one key per seq written straight into Redis at a fixed rate (as a session store's
 * writes would be), each recorded with its send time, ack time and outcome. After a crash and restart the keys
 * read back show which acknowledged writes the persistence kept: the same classification, and the same window
 * arithmetic, as the database canary (measure/cache.ts over measure/rpo.ts).
 */
export class RedisCanary {
  private client: Redis;
  private url: string;
  private loop: { stop(): void } | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private resolving: Promise<void> | undefined;
  private resolvedAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly opts: RedisCanaryOptions,
    private readonly record: (e: CacheWriteEvent) => void,
  ) {
    this.url = opts.url;
    this.client = this.connectTo(opts.url);
  }

  private connectTo(url: string): Redis {
    const client = new Redis(url, {
      lazyConnect: true,
      // A write while Redis is down fails at once (not queued), and the client keeps reconnecting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: 500,
      commandTimeout: this.opts.timeoutMs,
      retryStrategy: () => 100,
    });
    client.on('error', () => undefined);
    return client;
  }

  /** After a failed write: follow the service's Redis if it moved (at most one look every 250 ms). */
  private follow(): void {
    const resolve = this.opts.resolve;
    if (!resolve || this.resolving || this.clock.now() - this.resolvedAt < 250) return;
    this.resolvedAt = this.clock.now();
    this.resolving = resolve()
      .then((url) => {
        if (url === this.url) return;
        const old = this.client;
        this.url = url;
        this.client = this.connectTo(url);
        old.disconnect();
        return this.client.connect();
      })
      .catch(() => undefined)
      .finally(() => (this.resolving = undefined));
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.loop = openLoop(this.clock, this.opts.intervalMs, (seq) => {
      if (seq >= this.opts.maxWrites) {
        this.loop?.stop();
        return;
      }
      const p = this.write(seq).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    });
  }

  /** Stop writing; resolves when every write in flight has its outcome. Idempotent. */
  async stop(): Promise<void> {
    this.loop?.stop();
    await Promise.all([...this.inFlight]);
    await this.resolving;
    this.client.disconnect();
  }

  get prefix(): string {
    return this.opts.prefix;
  }

  key(seq: number): string {
    return `${this.opts.prefix}${seq}`;
  }

  private async write(seq: number): Promise<void> {
    const t = this.clock.now();
    let outcome: WriteOutcome;
    let error: string | undefined;
    try {
      const reply = await this.client.set(this.key(seq), String(Math.round(t)));
      outcome = reply === 'OK' ? 'ok' : 'indeterminate';
    } catch (e) {
      error = describeError(e);
      outcome = classifyRedisError(error);
      this.follow();
    }
    const end = this.clock.now();
    this.record({
      kind: 'cache-write',
      seq,
      t,
      outcome,
      ...(outcome === 'ok' ? { ack: end } : {}),
      ...(error ? { error } : {}),
    });
  }
}

/**
 * A failed SET: refused before it was sent (no connection, offline) cannot have been applied; a timeout or a
 * connection lost mid-command may have been. Pure.
 */
export function classifyRedisError(message: string): WriteOutcome {
  if (/Stream isn't writeable|enableOfflineQueue|ECONNREFUSED|Connection is closed|LOADING/i.test(message))
    return 'fail';
  return 'indeterminate';
}

/** The seqs of canary keys present in Redis now (SCAN, so a large keyspace does not block the server). */
export async function presentCanarySeqs(url: string, prefix: string): Promise<Set<number>> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const seqs = new Set<number>();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) {
        const seq = Number(k.slice(prefix.length));
        if (Number.isInteger(seq)) seqs.add(seq);
      }
    } while (cursor !== '0');
    return seqs;
  } finally {
    client.disconnect();
  }
}

/** True once Redis answers and has finished loading its persistence (INFO persistence: loading:0). */
async function loaded(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return /^loading:0\r?$/m.test(await client.info('persistence'));
  } finally {
    client.disconnect();
  }
}

export interface RedisCanaryObserverOptions {
  /** SETs per second (default 100). */
  rate?: number;
  /**
   * The loss window the drill accepts: acknowledged keys lost in a crash may reach back this far from t_f
   * (default '2s': `appendfsync everysec` bounds it by about one second).
   */
  maxLoss?: DurationString;
  /** A SET without an answer within this time is indeterminate (default '1s'). */
  timeout?: DurationString;
}

/**
 * The cache's canary as an observer: keys written straight into the estate's Redis from steady state on. Its
 * writes hold the steady state (SETs acknowledged); after recovery it waits until Redis has loaded its
 * persistence, reads the keys back and measures which acknowledged ones were lost (measure/cache.ts). The
 * drill is judged on that window against `maxLoss`.
 */
export function redisCanary(opts: RedisCanaryObserverOptions = {}): Observer {
  const rate = opts.rate ?? 100;
  const maxWindowMs = parseDuration(opts.maxLoss ?? '2s', 'redisCanary maxLoss');
  const timeoutMs = parseDuration(opts.timeout ?? '1s', 'redisCanary timeout');
  return {
    name: 'redis-canary',
    async start(ctx) {
      const redis = ctx.estate.redis;
      if (!redis) throw new EstateError('the redis canary needs Redis, and the estate has none');
      const url = redis.url();
      const prefix = `drillbook:canary:${ctx.runId}:`;
      const writes: CacheWriteEvent[] = [];
      const canary = new RedisCanary(
        ctx.clock,
        // Bounded: a canary never runs unbounded (ten minutes of writes at the declared rate).
        {
          url,
          prefix,
          intervalMs: 1000 / rate,
          timeoutMs,
          maxWrites: rate * 600,
          ...(ctx.estate.authoritativeRedis
            ? { resolve: async () => ((await ctx.estate.authoritativeRedis?.()) ?? redis).url() }
            : {}),
        },
        (e) => {
          writes.push(e);
          ctx.emit(e);
        },
      );
      await canary.start();
      let present: Set<number> | undefined;
      const started: StartedObserver = {
        name: 'redis-canary',
        steady: (since) =>
          evidenceOf(
            'canary SETs into Redis acknowledged',
            writes.map((w) => ({ t: w.t, ok: w.outcome === 'ok' })),
            since,
            1,
          ),
        stop: once(() => canary.stop()),
        async readBack({ signal, timeoutMs: readTimeoutMs, note }) {
          // The Redis the service uses now (on two sites, the DR site's after an activation), else the one written.
          const now = (await ctx.estate.authoritativeRedis?.()) ?? redis;
          const url = now.url();
          await poll(() => loaded(url), {
            subject: 'redis to finish loading its persistence',
            timeoutMs: readTimeoutMs,
            intervalMs: 25,
            signal,
          });
          present = await presentCanarySeqs(url, prefix);
          note(`read back ${present.size} canary keys from ${now.name}`);
        },
        measure: ({ faultAt, now }) =>
          present
            ? {
                cache: {
                  ...computeCacheLoss(writes, present, faultAt ?? now),
                  maxWindowMs,
                  writeIntervalMs: 1000 / rate,
                },
              }
            : {},
      };
      return started;
    },
  };
}
