/**
 * Redis failure: the cache killed under load and restarted from its persistence.
 *
 * Source: the seed runbook's alert RedisConnectionFailed (Redis disconnected, 1 m, critical), its backup
 * strategy (Redis RDB snapshots plus the append-only file, `appendfsync everysec`) and the plan-wide RTO 4 h.
 * Fault: kill -9 of redis-server (the container's PID 1 on docker) while canary rows are written through the app
 * and canary keys straight into Redis.
 * Observed, as the config's `cache` section declares the app's behaviour: the condition the app reports once
 * its cache is gone (the demo: `redis_connected 0` on /metrics, the seed's RedisConnectionFailed) and what it
 * answers without it (degrade: the demo reads from Postgres with `X-Cache: bypass`, /ready 200, writes commit;
 * or fail).
 * Procedure: observe the app without its cache; restart Redis with its persistence.
 * Observers: the HTTP probe and the SQL canary through the app, and a Redis canary writing keys straight into
 * Redis from steady state on, read back by the runner after recovery.
 * Measured: RTO = until the app serves with its cache again (probes of `cache.up`);
 * RPO = acknowledged canary writes lost (none may be: a cache failure must not lose data, objective 0); the cache's own
 * loss = the window of acknowledged canary keys lost in the crash, which appendfsync everysec bounds by ~1 s
 * (the `cache` criterion, judged against 2 s).
 */
import { defineDrill } from '../harness/drill/define.ts';
import { EstateError } from '../harness/core/errors.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Observer } from '../harness/probes/observers.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import type { Estate, RedisRole } from '../harness/estate/types.ts';
import { configured } from '../harness/config/uses.ts';
import type { CacheConfig } from '../harness/config/schema.ts';
import { probeOf, runConfigured } from './shared.ts';

function redisOf(e: Estate): RedisRole {
  if (!e.redis) throw new EstateError('this drill needs Redis, and the estate has none');
  return e.redis;
}

export default defineDrill({
  id: 'redis-failure',
  title: 'Redis failure: cache killed under load, restarted from its persistence',
  quarter: 'Q4',
  description:
    'redis-server dies (kill -9) while the app serves and canary keys are written into Redis. The drill ' +
    'observes whether the app degrades or fails without its cache, restarts Redis from its AOF/RDB ' +
    'persistence, and measures how long until the cache serves again and which acknowledged keys were lost.',
  runbookSection:
    'Monitoring and Alerting > RedisConnectionFailed; Disaster Recovery Plan > Backup strategy (Redis)',
  objectives: { rto: '4h', rpo: '0ms' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: true, app: { version: 'v1' } },
  uses: ['cache'],
  // A probe succeeds only while the app has its cache: the RTO is the cache's outage as clients' path sees it.
  probe: (s) => probeOf(s, 'cache.up'),
  observers: [Observer.httpProbe(), Observer.sqlCanary(), Observer.redisCanary({ rate: 100, maxLoss: '2s' })],
  // With --alerts: Redis is back well within RedisConnectionFailed's `for` (1 m), so the rule may go pending but
  // must page nobody: a restart faster than the `for` is what the `for` is there to absorb (docs/monitoring.md).
  // At 1/10 a restart of a few seconds still stands for well under the `for` (at 1/40 three seconds are 2 min).
  alerts: { expect: [], mustNotPage: ['RedisConnectionFailed'], timeScale: 10 },
  prepare: (e, s) =>
    s.cache?.seed
      ? [
          runConfigured(
            'write the data the read path serves (cache.seed)',
            s,
            'cache.seed',
            () => e.postgres.primary,
          ),
        ]
      : [],
  fault: (e) => Fault.kill(redisOf(e)),
  procedure: (e, s) => [
    Step.observeCacheOutage(configured<CacheConfig>(s, 'cache')),
    Step.restart(redisOf(e)),
  ],
});
