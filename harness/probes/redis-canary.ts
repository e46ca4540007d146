import { Redis } from 'ioredis';
import type { Clock } from '../core/clock.ts';
import { describe as describeError } from '../core/errors.ts';
import type { WriteEvent } from '../measure/timeline.ts';
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
}

/**
 * The cache's canary: one key per seq written straight into Redis at a fixed rate (as a session store's
 * writes would be), each recorded with its send time, ack time and outcome. After a crash and restart the keys
 * read back show which acknowledged writes the persistence kept: the same classification, and the same RPO
 * arithmetic, as the database canary (measure/rpo.ts).
 */
export class RedisCanary {
  private readonly client: Redis;
  private loop: { stop(): void } | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  readonly writes: WriteEvent[] = [];

  constructor(
    readonly clock: Clock,
    private readonly opts: RedisCanaryOptions,
  ) {
    this.client = new Redis(opts.url, {
      lazyConnect: true,
      // A write while Redis is down fails at once (not queued), and the client keeps reconnecting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: 500,
      commandTimeout: opts.timeoutMs,
      retryStrategy: () => 100,
    });
    this.client.on('error', () => undefined);
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
    let outcome: WriteEvent['outcome'];
    let error: string | undefined;
    try {
      const reply = await this.client.set(this.key(seq), String(Math.round(t)));
      outcome = reply === 'OK' ? 'ok' : 'indeterminate';
    } catch (e) {
      error = describeError(e);
      outcome = classifyRedisError(error);
    }
    const end = this.clock.now();
    this.writes.push({
      kind: 'write',
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
export function classifyRedisError(message: string): WriteEvent['outcome'] {
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
