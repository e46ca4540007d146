/**
 * Alerts fire: every alert rule of the runbook proven during a real outage of its own.
 *
 * Source: the seed runbook's "Monitoring and Alerting" section: seven Prometheus alert rules and an Alertmanager
 * routing policy (critical to e-mail and the chat webhook, warning to e-mail only), under test as
 * fixtures/monitoring/rules.yml and alertmanager.yml (or --rules / --alertmanager-config).
 * Faults, one after another on one estate, each held until the alerts it must raise are firing in Prometheus and
 * have reached every receiver their severity is routed to, then reverted:
 *   a crash-looping release (PodRestartingTooMuch), the app stopped (ServiceDown), Redis stopped
 *   (RedisConnectionFailed), the pool held by sessions that lock the main table, `data.table`
 *   (DatabaseConnectionPoolExhausted), a release whose data path fails (HighErrorRate), a release whose data path
 *   answers in 11 s (HighLatency), the
 *   database's size-limited volume filled (DiskSpaceLow).
 * Measured per rule: time to pending, firing, each receiver's notification and resolution, relative to t_f; the
 * drill fails on an expected alert that never fires or never resolves, a notification at a receiver the routing
 * does not promise, an alert firing in the steady state, a rule selecting no live series, or a dashboard panel
 * without data. Durations run scaled by --alert-time-scale (docs/monitoring.md).
 */
import { defineDrill } from '../harness/drill/define.ts';
import { EstateError } from '../harness/core/errors.ts';
import { AlertFault } from '../harness/faults/alert-faults.ts';
import { Fault } from '../harness/faults/fault.ts';
import { RUNBOOK_ROUTING } from '../harness/probes/alert-watcher.ts';
import type { Estate, RedisRole } from '../harness/estate/types.ts';
import { quotedTable } from './shared.ts';

const ALERTS = [
  'PodRestartingTooMuch',
  'ServiceDown',
  'RedisConnectionFailed',
  'DatabaseConnectionPoolExhausted',
  'HighErrorRate',
  'HighLatency',
  'DiskSpaceLow',
];

function redisOf(e: Estate): RedisRole {
  if (!e.redis) throw new EstateError('this drill needs Redis, and the estate has none');
  return e.redis;
}

export default defineDrill({
  id: 'alerts-fire',
  title: 'Alerts fire: the seven alert rules and their routing, each during an outage of its own',
  quarter: 'Q4',
  description:
    'Seven faults one after another on one estate with Prometheus, Alertmanager and the exporters: a crash loop, ' +
    'the app down, Redis down, the database pool exhausted, a release failing requests, a release answering in ' +
    '11 s, the database volume filled. Each must fire its rule, reach the receivers the routing promises and ' +
    'resolve after the fault is reverted; no alert may fire in the steady state.',
  runbookSection: 'Monitoring and Alerting (alert rules, Alertmanager routing, dashboard)',
  objectives: {},
  estate: {
    postgres: { standby: false, replication: 'async' },
    redis: true,
    app: { version: 'v1' },
    monitoring: true,
  },
  alerts: { expect: ALERTS },
  // Canary writes wait out the slow release's 11 s answers (a client that gives up at 2 s is counted at 2 s, and
  // p95 would never pass 5 s); 10 a second still exhaust the pool of 10 while the main table is locked.
  traffic: { writesPerSecond: 10, writeTimeout: '15s' },
  // The fault is the whole sequence; the recovery waits until every alert has resolved and been notified so.
  timeouts: { step: '4m', recover: '3m', drill: '8m', steady: '30s' },
  // The table a pool-exhaustion fault locks, and the two bad releases it deploys (a system without them, such as
  // one whose app does not export the rules' metrics either, is left out, naming them).
  uses: ['data.table', 'releases.v2-slow', 'releases.v2-crashloop'],
  fault: (e, s) =>
    AlertFault.sequence(
      e,
      [
        { fault: AlertFault.crashLoop(e.app, 'v2-crashloop', 6), alerts: ['PodRestartingTooMuch'] },
        { fault: Fault.stop(e.app, { restartOnRevert: true }), alerts: ['ServiceDown'] },
        { fault: Fault.stop(redisOf(e), { restartOnRevert: true }), alerts: ['RedisConnectionFailed'] },
        { fault: AlertFault.poolExhaustion(e, quotedTable(s)), alerts: ['DatabaseConnectionPoolExhausted'] },
        { fault: AlertFault.release(e.app, 'v2'), alerts: ['HighErrorRate'] },
        { fault: AlertFault.release(e.app, 'v2-slow'), alerts: ['HighLatency'] },
        { fault: AlertFault.fillVolume(e), alerts: ['DiskSpaceLow'] },
      ],
      RUNBOOK_ROUTING,
    ),
  procedure: () => [],
});
