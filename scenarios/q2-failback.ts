/**
 * Q2 failback: after a DR activation, the business comes home.
 *
 * Source: the seed runbook's Disaster Recovery Plan (DR scenario 2, "Complete site failure: Activate DR site"),
 * whose activation leaves the business at the DR site until the primary site is repaired; the way home is a
 * planned switchover. Runbook exercised: fixtures/runbook/deployment-runbook.md, "DR scenario 2, failback:
 * coming home".
 * Preparation (before traffic): the whole primary site is killed and the DR site activated by the runbook's
 * DR scenario 2 blocks; then the primary database is rebuilt from the DR database (`pg_rewind`, else a fresh
 * base backup) and replicates from it, the primary Redis replicates from the DR site's, and the primary site's
 * service starts, ready, not serving.
 * Steady state: traffic served by the DR site.
 * Fault: the planned switchover starts: the runbook's block stops the DR database cleanly (t_f).
 * Procedure: promote the primary site's database once it received the DR database's WAL through its shutdown
 * checkpoint, point the database endpoint at it, hand Redis over (`FAILOVER`), switch traffic home, verify.
 * Objectives: zero acknowledged writes lost (RPO 0); the downtime of the switchover is the RTO, measured from
 * live traffic (against the Q2 objective of 4 h).
 */
import { defineDrill } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import { Observer } from '../harness/probes/observers.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { SITE_FAILOVER_BLOCKS } from './q2-site-failover.ts';
import { deploymentRunbook as rb } from './shared.ts';

/** The failback blocks, in the order an operator runs them. */
export const FAILBACK_BLOCKS = [
  'failback-rebuild-primary',
  'failback-replicate',
  'failback-stop-dr',
  'failback-promote-home',
  'failback-switch-traffic',
  'failback-verify',
];

export default defineDrill({
  id: 'q2-failback',
  title: 'Failback: rebuild the primary site from the DR site, then a planned switchover home',
  quarter: 'Q2',
  description:
    'After the primary site was lost and the DR site activated, the primary site is rebuilt from the DR site ' +
    '(pg_rewind where it applies, else a fresh base backup), replicates from it, and the business comes home in ' +
    'a planned switchover under live traffic: the DR database stops cleanly, the primary site’s database is ' +
    'promoted once it has received all of its WAL, Redis is handed over and traffic switched home. Measures ' +
    'the downtime of the switchover (RTO) and that no acknowledged write was lost (RPO 0).',
  runbookSection: 'Disaster Recovery Plan > DR scenario 2: Complete site failure > failback: coming home',
  runbookDoc: rb,
  runbookBlocks: [...SITE_FAILOVER_BLOCKS, ...FAILBACK_BLOCKS],
  objectives: { rto: '4h', rpo: '0ms' },
  needs: ['site-failback'],
  estate: {
    postgres: { standby: false, replication: 'async' },
    redis: true,
    app: { version: 'v1' },
    sites: { feed: 'wal-shipping', archiveTimeoutMs: 2000, redisSnapshotMs: 2000, drApp: 'warm' },
  },
  traffic: { steadyFor: '3s', probeInterval: '100ms' },
  timeouts: { steady: '40s', provision: '120s', step: '30s', recover: '90s' },
  observers: [
    Observer.httpProbe(),
    Observer.sqlCanary(),
    // Nothing acknowledged by the DR site's Redis may be lost either: FAILOVER hands every write over.
    Observer.redisCanary({ rate: 50, maxLoss: '0ms' }),
  ],
  prepare: (estate) => {
    const dr = estate.sites?.dr;
    return [
      Step.loseSite({ shippedFirst: true }),
      Step.block('site-confirm-lost', { expect: { stdout: / is lost: / } }),
      Step.block('site-fence'),
      Step.block('site-promote-dr-db'),
      Step.block('site-restore-redis'),
      Step.block('site-start-dr-app'),
      Step.block('site-switch-traffic'),
      Step.block('site-verify'),
      Step.block('failback-rebuild-primary', {
        name: `rebuild ${estate.postgres.primary.name} from ${dr?.postgres.name ?? 'the DR database'}`,
        expect: { stdout: / rebuilt from the DR database by / },
      }),
      Step.block('failback-replicate', {
        name: `${estate.sites?.primary.name ?? 'the primary site'} back, replicating from ${dr?.name ?? 'the DR site'}`,
        expect: { stdout: / streaming from / },
      }),
    ];
  },
  fault: (estate) =>
    Fault.block(
      'failback-stop-dr',
      {},
      {
        name: 'planned switchover home: the DR database stopped cleanly (runbook block)',
        target: estate.sites?.dr.postgres.name ?? 'postgres-dr',
      },
    ),
  procedure: (estate) => [
    Step.block('failback-promote-home', {
      name: `promote ${estate.postgres.primary.name} after the DR database's last WAL`,
      expect: { stdout: / through its shutdown checkpoint [0-9A-F]+\/[0-9A-F]+ and was promoted/ },
    }),
    Step.block('failback-switch-traffic', {
      name: `hand Redis over, switch traffic to ${estate.sites?.primary.name ?? 'the primary site'}`,
      expect: { stdout: new RegExp(`"to":"${estate.app.name}"`) },
    }),
    Step.block('failback-verify', {
      name: 'functional checks at home',
      expect: { stdout: /^order \d+ acknowledged .* found on /m },
    }),
  ],
});
