/**
 * Steps of what the application does without its cache (the seed's RedisConnectionFailed condition and the
 * app's behaviour observed from outside) and of the release the service runs. The cache's own canary is an
 * observer (probes/redis-canary.ts), started and read back by the runner.
 */
import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import { StepError } from '../../core/errors.ts';
import { poll } from '../../core/poll.ts';
import type { IntegrityCheck } from '../../record/record.ts';
import type { Step, StepContext } from '../step.ts';

const SECTION = 'Monitoring and Alerting > RedisConnectionFailed';

/** A client whose requests the step's signal cancels (its deadline, or the drill's abort). */
function client(signal?: AbortSignal): AxiosInstance {
  return axios.create({
    ...(signal ? { signal } : {}),
    proxy: false,
    timeout: 2000,
    validateStatus: () => true,
    httpAgent: new http.Agent({ keepAlive: false }),
  });
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
      const http = client(ctx.signal);
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
      const res = await client(ctx.signal).get<{ version?: string }>(`${ctx.estate.endpoints.app}/health`);
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
