/**
 * Q2 drill: complete site failure, activate the DR site.
 *
 * Source: the seed runbook's Disaster Recovery Plan (DR scenario 2, "Complete site failure: Activate DR site";
 * quarterly drills, "Q2: Complete site recovery (RTO < 4 hours)"; plan-wide RPO 1 hour; backup strategy
 * "Hourly incremental WAL backup" and "Redis RDB/AOF persistence").
 * Estate: two sites. The primary site runs the Postgres primary, Redis and the app; its WAL segments are
 * shipped into the DR site through the archive (at least every `archive_timeout`, a drill setting standing in
 * for the hourly WAL backup) and its Redis RDB snapshots copied there; the DR site holds a standby made from a
 * base backup that restores the shipped segments, and the app, warm (running, not serving) or cold.
 * Fault: the whole primary site dies in one instant (every process of it SIGKILLed at once), half of
 * (archive_timeout - 1 s) after a WAL segment arrived at the DR site, so the loss window is the shipping's.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, "DR scenario 2", its blocks site-confirm-lost,
 * site-fence, site-promote-dr-db, site-restore-redis, site-start-dr-app, site-switch-traffic, site-verify.
 * Objectives: RTO 4 h, RPO 1 h. The loss is normally not zero: the report lists exactly which acknowledged
 * writes were lost and relates the loss window to the last segment shipped before the fault (the `shipping`
 * criterion: within `archive_timeout`), and the Redis keys lost against the last snapshot's age.
 */
import { parseDuration } from '../harness/core/duration.ts';
import { defineDrill, type DrillDefinition } from '../harness/drill/define.ts';
import type { SitesTopology } from '../harness/estate/types.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Observer } from '../harness/probes/observers.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { deploymentRunbook as rb } from './shared.ts';

/** The blocks of "DR scenario 2", in the order an operator runs them. */
export const SITE_FAILOVER_BLOCKS = [
  'site-confirm-lost',
  'site-fence',
  'site-promote-dr-db',
  'site-restore-redis',
  'site-start-dr-app',
  'site-switch-traffic',
  'site-verify',
];

export interface SiteFailoverOptions {
  id?: string;
  /** archive_timeout on the primary (whole seconds): the WAL shipping interval under writes. */
  archiveTimeout?: string;
  feed?: SitesTopology['feed'];
  drApp?: SitesTopology['drApp'];
  /**
   * 'kill': every process of the primary site killed at once. 'partition': the site cut off the network,
   * alive; after the switch it comes back and the split-brain check proves no client write lands on it.
   */
  siteLoss?: 'kill' | 'partition';
}

export function q2SiteFailover(opts: SiteFailoverOptions = {}): DrillDefinition {
  const archiveTimeout = opts.archiveTimeout ?? '2s';
  const archiveTimeoutMs = parseDuration(archiveTimeout, 'archiveTimeout');
  const feed = opts.feed ?? 'wal-shipping';
  const drApp = opts.drApp ?? 'warm';
  const partition = opts.siteLoss === 'partition';
  // The steady state lasts long enough to see segments shipped at least twice: the report gives the interval.
  const steadyMs = 2 * archiveTimeoutMs + 500;
  const strikeMs = (archiveTimeoutMs - 1000) / 2;
  return defineDrill({
    id: opts.id ?? 'q2-site-failover',
    title: partition
      ? `Primary site partitioned: activate the DR site, the old site comes back fenced (WAL shipped every ${archiveTimeout}, ${drApp} app)`
      : `Complete site failure: activate the DR site (WAL shipped every ${archiveTimeout}${feed === 'streaming' ? ' and streamed' : ''}, ${drApp} app)`,
    quarter: 'Q2',
    description:
      (partition
        ? 'The whole primary site (database, Redis, app) is cut off the network in one instant under live ' +
          'traffic, alive: unreachable from clients, the router and the DR site, its shipping cut with it. '
        : 'The whole primary site (database, Redis, app) dies in one instant under live traffic. ') +
      'The DR site has ' +
      `what was shipped to it: WAL segments through the archive (archive_timeout ${archiveTimeout})` +
      `${feed === 'streaming' ? ' and the WAL stream' : ''}, the latest Redis RDB snapshot, and the app ${drApp === 'warm' ? 'installed and running, not serving' : 'installed, not started'}. ` +
      'The documented procedure confirms the site is lost, fences it, promotes the DR database, restores Redis ' +
      'from the snapshot, starts the app there and switches traffic. Measures how long clients could not be ' +
      'served (RTO), exactly which acknowledged writes were lost and how the loss relates to the last shipped ' +
      'segment (RPO), and the Redis keys lost against the snapshot age.' +
      (partition
        ? ' After the switch the old site comes back (its network whole again); a client still holding its ' +
          'addresses tries to write to its database: the split-brain check passes only if no write lands there.'
        : ''),
    runbookSection: 'Disaster Recovery Plan > DR scenario 2: Complete site failure',
    runbookDoc: rb,
    runbookBlocks: SITE_FAILOVER_BLOCKS,
    objectives: { rto: '4h', rpo: '1h' },
    ...(partition ? { needs: ['site-partition' as const] } : {}),
    estate: {
      postgres: { standby: false, replication: 'async' },
      redis: true,
      app: { version: 'v1' },
      sites: { feed, archiveTimeoutMs, redisSnapshotMs: 2000, drApp },
    },
    // Probes every 100 ms (not the 15 ms default): on docker each probe crosses docker-proxy, the router and
    // the app's container beside 50 canary writes and 50 SETs a second, and at 15 ms a busy 2-core machine
    // timed the probes out (1 s) until the steady state never held. The RTO is seconds against 4 h.
    traffic: { steadyFor: `${steadyMs}ms`, probeInterval: '100ms' },
    // Room for a busy machine (a docker engine under load answers slowly); the objective is 4 h.
    timeouts: {
      steady: `${Math.ceil(steadyMs / 1000) + 30}s`,
      provision: '120s',
      step: '60s',
      recover: '90s',
    },
    observers: [
      Observer.httpProbe(),
      Observer.sqlCanary(),
      // The cache is judged against the plan's RPO; what it lost is compared with the snapshot's age.
      Observer.redisCanary({ rate: 50, maxLoss: '1h' }),
      Observer.shipping(),
    ],
    // The site dies a fixed share of the shipping interval after a segment arrived (half of what PostgreSQL's
    // whole-second archive_timeout check guarantees): the loss window is set by the shipping, not by chance.
    fault: (estate) =>
      Fault.after(
        Fault.shipmentAged(estate, `${strikeMs}ms`),
        partition ? Fault.partitionSite(estate) : Fault.killSite(estate),
      ),
    procedure: (estate) => {
      const site = estate.sites?.primary.name ?? 'the primary site';
      const dr = estate.sites?.dr;
      return [
        Step.block('site-confirm-lost', {
          name: `confirm ${site} is lost`,
          expect: { stdout: / is lost: / },
        }),
        Step.block('site-fence', { name: `fence ${site}` }),
        Step.block('site-promote-dr-db', {
          name: `promote ${dr?.postgres.name ?? 'the DR database'} to the last shipped WAL`,
          expect: { stdout: / promoted after the shipped WAL through [0-9A-F]{24} / },
        }),
        Step.block('site-restore-redis', {
          name: `restore ${dr?.redis?.name ?? 'Redis'} from the shipped snapshot`,
          expect: { stdout: / restored from the snapshot taken at / },
        }),
        Step.block('site-start-dr-app', { name: `start ${dr?.app.name ?? 'the app'} (${drApp})` }),
        Step.block('site-switch-traffic', {
          name: `switch traffic to ${dr?.name ?? 'the DR site'}`,
          expect: { stdout: new RegExp(`"to":"${dr?.app.name ?? 'app-dr'}"`) },
        }),
        Step.block('site-verify', {
          name: `functional checks at ${dr?.name ?? 'the DR site'}`,
          expect: { stdout: /^order \d+ acknowledged .* found on /m },
        }),
        ...(partition ? [Step.healSite(), Step.splitBrainCheck({ fenceBlock: 'site-fence' })] : []),
      ];
    },
  });
}

export default q2SiteFailover();
