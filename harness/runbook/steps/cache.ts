/**
 * Steps of what the application does without its cache (the seed's RedisConnectionFailed condition and the
 * app's behaviour observed from outside, as the config's `cache` section declares them) and of the release the service runs. The cache's own canary is an
 * observer (probes/redis-canary.ts), started and read back by the runner.
 */
import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import { describe, StepError } from '../../core/errors.ts';
import { poll } from '../../core/poll.ts';
import type { IntegrityCheck } from '../../record/record.ts';
import type { Step, StepContext } from '../step.ts';
import type { CacheConfig } from '../../config/schema.ts';
import type { ReleaseProbe } from '../../config/system.ts';

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
 * With the cache down, observe the application from outside, as its config says it degrades (`cache`): the
 * condition it reports once the cache is gone (`cache.lost`, polled), then each request of `cache.degraded`
 * (reads from the database, readiness, writes …) and what it must answer. Each is an integrity check: an app
 * that fails instead of degrading fails the drill, with what it answered.
 */
export function observeCacheOutage(cache: CacheConfig): Step {
  return {
    name: 'observe the application without its cache',
    source: SECTION,
    async run(ctx) {
      const http = client(ctx.signal);
      const base = ctx.estate.endpoints.app;
      const since = ctx.observe().now;
      const lost = new RegExp(cache.lost.matches, 'm');
      const seen = await poll(
        async () =>
          lost.exec(
            (await http.get<string>(`${base}${cache.lost.path}`, { responseType: 'text' })).data,
          )?.[0],
        {
          subject: `the app to report the cache lost (${cache.lost.path} matching /${cache.lost.matches}/, cache.lost)`,
          timeoutMs: ctx.timeoutMs,
          intervalMs: 25,
          signal: ctx.signal,
        },
      );
      const detectedMs = ctx.observe().now - since;
      const checks: IntegrityCheck[] = [
        {
          name: cache.lost.name,
          kind: 'behaviour',
          expected: `${cache.lost.path} matches /${cache.lost.matches}/`,
          actual: `${seen}, ${Math.round(detectedMs)} ms after this step began`,
          passed: true,
        },
      ];
      const answers: string[] = [];
      for (const want of cache.degraded) {
        const label = `${want.method} ${want.path}`;
        const res = await http
          .request<string>({
            method: want.method,
            url: `${base}${want.path}`,
            responseType: 'text',
            transformResponse: (d: unknown) => d,
            ...(want.body !== undefined ? { data: want.body } : {}),
          })
          .catch((e: unknown) => {
            // No answer at all is the app failing without its cache, not the step breaking: a failed check.
            if (ctx.signal?.aborted) throw e;
            return describe(e);
          });
        const expected = [
          `${label}: ${want.status}`,
          ...(want.bodyIncludes !== undefined ? [`body with ${want.bodyIncludes}`] : []),
          ...Object.entries(want.headers).map(([k, v]) => `${k}: ${v}`),
        ].join(', ');
        if (typeof res === 'string') {
          checks.push({
            name: want.name,
            kind: 'behaviour',
            expected,
            actual: `no answer: ${res}`,
            passed: false,
          });
          answers.push(`${label} no answer`);
          continue;
        }
        const body = typeof res.data === 'string' ? res.data : JSON.stringify(res.data);
        const headers = Object.entries(want.headers).map(
          ([k, v]) => [k, v, String(res.headers[k] ?? 'none')] as const,
        );
        const passed =
          res.status === want.status &&
          (want.bodyIncludes === undefined || body.includes(want.bodyIncludes)) &&
          headers.every(([, v, got]) => got === v);
        const actual = [
          String(res.status),
          ...(want.bodyIncludes !== undefined ? [`body ${JSON.stringify(body.slice(0, 120))}`] : []),
          ...headers.map(([k, , got]) => `${k}: ${got}`),
        ].join(', ');
        checks.push({ name: want.name, kind: 'behaviour', expected, actual, passed });
        answers.push(`${label} ${res.status}`);
      }
      const failed = checks.filter((c) => !c.passed);
      if (failed.length)
        throw new StepError(
          `the app fails without its cache: ${failed.map((c) => `${c.name}: ${c.actual}`).join('; ')}`,
          { checks },
        );
      return { detail: `degrades: ${answers.join(', ')}`, checks };
    },
  };
}

/**
 * The release the service answers with now, through the clients' path, where the config says the app names it
 * (`health.version`: a GET path, and its JSON field and/or header; every one given must name `version`).
 */
export function servedVersion(version: string, where: ReleaseProbe): Step {
  return {
    name: `check: the service runs ${version}`,
    verifies: true,
    async run(ctx: StepContext) {
      const res = await client(ctx.signal).get<Record<string, unknown>>(
        `${ctx.estate.endpoints.app}${where.path}`,
      );
      const said: string[] = [];
      let passed = res.status === 200;
      if (where.field !== undefined) {
        const v = typeof res.data === 'object' && res.data !== null ? res.data[where.field] : undefined;
        const text = typeof v === 'string' ? v : '?';
        said.push(text);
        passed &&= text === version;
      }
      if (where.header !== undefined) {
        const h: unknown = res.headers[where.header.toLowerCase()];
        const text = typeof h === 'string' && h ? h : '?';
        said.push(`${where.header}: ${text}`);
        passed &&= text === version;
      }
      const c: IntegrityCheck = {
        name: 'release served after the rollback',
        kind: 'behaviour',
        expected: version,
        actual: `${said.join(', ')} (GET ${where.path}, HTTP ${res.status})`,
        passed,
      };
      if (!c.passed) throw new StepError(`${c.name}: expected ${version}, got ${c.actual}`, { checks: [c] });
      return { detail: c.actual, checks: [c] };
    },
  };
}
