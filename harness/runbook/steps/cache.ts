/**
 * Steps of the cache (Redis) and of what the application does without it: a canary of keys written straight
 * into Redis and read back after a restart (the cache's RPO), the seed's RedisConnectionFailed condition and
 * the app's behaviour observed from outside, and the release the service runs.
 */
import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import { monotonicClock } from '../../core/clock.ts';
import { EstateError, StepError } from '../../core/errors.ts';
import { poll } from '../../core/poll.ts';
import type { Estate, RedisRole } from '../../estate/types.ts';
import { computeRpo } from '../../measure/rpo.ts';
import { presentCanarySeqs, RedisCanary } from '../../probes/redis-canary.ts';
import type { IntegrityCheck } from '../../record/record.ts';
import type { Step, StepContext } from '../step.ts';

const SECTION = 'Monitoring and Alerting > RedisConnectionFailed; Backup strategy > Redis RDB + AOF';
const canaries = new WeakMap<Estate, RedisCanary>();

function redisOf(e: Estate): RedisRole {
  if (!e.redis) throw new EstateError('this drill needs Redis, and the estate has none');
  return e.redis;
}

function client(): AxiosInstance {
  return axios.create({
    proxy: false,
    timeout: 2000,
    validateStatus: () => true,
    httpAgent: new http.Agent({ keepAlive: false }),
  });
}

export interface RedisCanaryOptions {
  /** Writes per second (default 100). */
  rate?: number;
}

/**
 * Start writing canary keys into Redis (one per seq, at a fixed rate) until `readRedisCanary` stops it, the
 * drill is aborted, or the bound of writes is reached.
 */
export function startRedisCanary(opts: RedisCanaryOptions = {}): Step {
  return {
    name: 'start the Redis canary writer',
    async run(ctx) {
      const redis = redisOf(ctx.estate);
      const rate = opts.rate ?? 100;
      const canary = new RedisCanary(monotonicClock(), {
        url: redis.url(),
        prefix: `drillbook:canary:${Date.now().toString(36)}:`,
        intervalMs: 1000 / rate,
        timeoutMs: 1000,
        maxWrites: rate * 600,
      });
      ctx.defer?.('stop the Redis canary writer', () => canary.stop());
      await canary.start();
      canaries.set(ctx.estate, canary);
      return { detail: `${rate} SET/s of canary keys straight into Redis at ${redis.url()}` };
    },
  };
}

/**
 * After the restart: wait until Redis has loaded its persistence, stop the canary, read back its keys and
 * classify every write. The cache's RPO is the window of acknowledged writes lost (t_f minus the ack of the
 * last write kept before the first one lost); with `appendfsync everysec` it must stay within `maxLossMs`.
 */
export function readRedisCanary(maxLossMs = 2000): Step {
  return {
    name: 'read back the Redis canary keys',
    source: SECTION,
    async run(ctx) {
      const canary = canaries.get(ctx.estate);
      if (!canary) throw new StepError('no Redis canary was started in this drill');
      const redis = redisOf(ctx.estate);
      await poll(async () => /loading:0/.test(String(await infoPersistence(redis))), {
        subject: 'redis to finish loading its persistence',
        timeoutMs: ctx.timeoutMs,
        intervalMs: 25,
        signal: ctx.signal,
      });
      const { now, faultAt } = ctx.observe();
      if (faultAt === undefined) throw new StepError('no fault time to measure the cache RPO from');
      // The canary has its own monotonic clock: t_f on it is "now" minus the time since the fault.
      const faultOnCanary = canary.clock.now() - (now - faultAt);
      // The canary saw the outage (a write refused or unanswered after t_f), then its writes are acknowledged
      // again (its client reconnects by itself): Redis takes writes once more.
      const outage = canary.writes.find((w) => w.outcome !== 'ok' && w.t >= faultOnCanary);
      const firstAck = await poll(
        () => outage && canary.writes.find((w) => w.outcome === 'ok' && w.t > outage.t),
        {
          subject: 'a canary write to be acknowledged after the restart',
          timeoutMs: ctx.timeoutMs,
          intervalMs: 20,
          signal: ctx.signal,
        },
      ).catch(() => undefined);
      await canary.stop();
      const present = await presentCanarySeqs(redis.url(), canary.prefix);
      const rpo = computeRpo(canary.writes, present, faultOnCanary);
      const lost = rpo.lostSeqRanges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ');
      const checks: IntegrityCheck[] = [
        {
          name: 'redis canary: acknowledged keys lost in the crash (cache RPO)',
          kind: 'cache',
          expected: `loss window <= ${maxLossMs} ms (appendonly yes, appendfsync everysec)`,
          actual: `${rpo.ackedWrites} keys acked, ${rpo.lostAckedWrites} lost${lost ? ` (seqs ${lost})` : ''}, window ${Math.round(rpo.rpoMs)} ms`,
          passed: rpo.rpoMs <= maxLossMs && rpo.ackedWrites > 0,
        },
        {
          name: 'redis canary: keys present that were never written',
          kind: 'cache',
          expected: '0',
          actual: String(rpo.unexpectedSeqs.length),
          passed: rpo.unexpectedSeqs.length === 0,
        },
        {
          name: 'redis canary: writes acknowledged again after the restart',
          kind: 'cache',
          expected: 'a SET acknowledged after the restart',
          actual: !outage
            ? 'the canary never saw Redis fail'
            : firstAck?.ack
              ? `first ack ${Math.round(firstAck.ack - faultOnCanary)} ms after the kill (first refused write ${Math.round(outage.t - faultOnCanary)} ms after it)`
              : 'none within the step deadline',
          passed: firstAck !== undefined,
        },
      ];
      const failed = checks.filter((c) => !c.passed);
      if (failed.length)
        throw new StepError(
          failed.map((c) => `${c.name}: expected ${c.expected}, got ${c.actual}`).join('; '),
          {
            checks,
          },
        );
      return { detail: checks[0]?.actual ?? '', checks };
    },
  };
}

async function infoPersistence(redis: RedisRole): Promise<string> {
  const { Redis } = await import('ioredis');
  const c = new Redis(redis.url(), {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
    retryStrategy: () => null,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await c.info('persistence');
  } finally {
    c.disconnect();
  }
}

/**
 * With Redis down, observe the application from outside: the seed's RedisConnectionFailed condition
 * (`redis_connected 0` on /metrics), whether reads still answer (from Postgres, `X-Cache: bypass`) or fail,
 * whether readiness stays up, and whether writes still commit. Each is an integrity check: an app that fails
 * instead of degrading fails the drill, with what it answered.
 */
export function observeCacheOutage(orderId = 1): Step {
  return {
    name: 'observe the application without its cache',
    source: SECTION,
    async run(ctx) {
      const http = client();
      const base = ctx.estate.endpoints.app;
      const since = ctx.observe().now;
      await poll(
        async () =>
          /^redis_connected 0$/m.test(
            (await http.get<string>(`${base}/metrics`, { responseType: 'text' })).data,
          ),
        {
          subject: 'the app to report redis_connected 0 on /metrics',
          timeoutMs: ctx.timeoutMs,
          intervalMs: 25,
          signal: ctx.signal,
        },
      );
      const detectedMs = ctx.observe().now - since;
      const read = await http.get(`${base}/orders/${orderId}`);
      const ready = await http.get<{ redis?: string }>(`${base}/ready`);
      const write = await http.post(`${base}/orders`, { item: 'cache-outage-check', qty: 1 });
      const cacheHeader = String(read.headers['x-cache'] ?? 'none');
      const checks: IntegrityCheck[] = [
        {
          name: 'RedisConnectionFailed condition seen by the app',
          kind: 'behaviour',
          expected: 'redis_connected 0 on /metrics',
          actual: `redis_connected 0, ${Math.round(detectedMs)} ms after this step began`,
          passed: true,
        },
        {
          name: 'reads without the cache (degrade or fail)',
          kind: 'behaviour',
          expected: `GET /orders/${orderId}: 200 from Postgres, X-Cache: bypass`,
          actual: `${read.status}, X-Cache: ${cacheHeader}`,
          passed: read.status === 200 && cacheHeader === 'bypass',
        },
        {
          name: 'readiness without the cache',
          kind: 'behaviour',
          expected: 'GET /ready: 200 with redis "down"',
          actual: `${ready.status} with redis ${JSON.stringify(ready.data.redis ?? null)}`,
          passed: ready.status === 200 && ready.data.redis === 'down',
        },
        {
          name: 'writes without the cache',
          kind: 'behaviour',
          expected: 'POST /orders: 201',
          actual: String(write.status),
          passed: write.status === 201,
        },
      ];
      const failed = checks.filter((c) => !c.passed);
      if (failed.length)
        throw new StepError(
          `the app fails without its cache: ${failed.map((c) => `${c.name}: ${c.actual}`).join('; ')}`,
          { checks },
        );
      return {
        detail: `degrades: reads ${read.status} (X-Cache: ${cacheHeader}), /ready ${ready.status}, writes ${write.status}`,
        checks,
      };
    },
  };
}

/** The release the service answers with now, through the clients' path (GET /health and X-App-Version). */
export function servedVersion(version: string): Step {
  return {
    name: `check: the service runs ${version}`,
    verifies: true,
    async run(ctx: StepContext) {
      const res = await client().get<{ version?: string }>(`${ctx.estate.endpoints.app}/health`);
      const header = String(res.headers['x-app-version'] ?? '');
      const c: IntegrityCheck = {
        name: 'release served after the rollback',
        kind: 'behaviour',
        expected: version,
        actual: `${res.data.version ?? '?'} (X-App-Version: ${header || '?'}, HTTP ${res.status})`,
        passed: res.status === 200 && res.data.version === version && header === version,
      };
      if (!c.passed) throw new StepError(`${c.name}: expected ${version}, got ${c.actual}`, { checks: [c] });
      return { detail: c.actual, checks: [c] };
    },
  };
}
