/**
 * The data-protection and release drills against a system drillbook was never tuned for (examples/inventory),
 * from its config's `data` section alone: backup-restore, db-migration-rollback and deploy-rollback pass on the
 * local and docker backends (docker through the example's compose file); q3-data-corruption, which needs marker rows and a point-in-time recovery the example does not
 * declare, is refused and `drill list` says why. And the data mistakes a user makes: a malformed `data` field
 * (exit 2, naming its path, nothing started) and a fingerprint query the running system refuses (the
 * preparation fails naming `data.fingerprint`, before the fault, everything torn down).
 */
import { describe, expect, it } from 'vitest';
import type { DrillRecord } from '../../harness/record/record.ts';
import { drill, drillInOwnTmp } from '../cli.ts';
import {
  CONFIG,
  exampleWith,
  expectNothingLeft,
  logMeasured,
  runExample,
  skipWithoutCompose,
  skipWithoutPython,
} from './example.ts';

const missing = skipWithoutPython("the inventory example's data drills") ? 'python3-psycopg2' : undefined;
const dockerSkip = await skipWithoutCompose("the inventory example's data drills on docker");

/**
 * backup-restore, db-migration-rollback and deploy-rollback on one backend, from the example's config: each
 * passes, measured on the example's own data path and table, and nothing is left behind.
 */
async function dataDrills(backend: 'local' | 'docker'): Promise<void> {
  const ids = ['backup-restore', 'db-migration-rollback', 'deploy-rollback'];
  const run = await runExample(ids, backend);
  expect(run.res.stderr).toBe('');
  logMeasured(run, backend);
  expect(run.res.code).toBe(0);
  expect(run.summary.drills.map((d) => [d.id, d.status])).toEqual(ids.map((id) => [id, 'passed']));
  for (const d of run.summary.drills) {
    // Each fault broke the data path for a while, and the clients' canary kept writing.
    expect(d.measured.rtoMs).toBeGreaterThan(0);
    expect(d.measured.ackedWrites).toBeGreaterThan(0);
    const record = run.record(d.id);
    expect(record.settings.probePath).toBe('/api/stock?limit=1');
    expect(record.runbook?.path).toMatch(/RUNBOOK\.md$/);
  }

  // backup-restore: the example's own table dropped, its own fingerprint equal after the restore.
  const br = run.record('backup-restore');
  expect(br.timeline.find((e) => e.kind === 'fault' && e.state === 'injected')).toMatchObject({
    detail: 'DROP TABLE "stock_movements" CASCADE',
  });
  const restored = br.checks.find((c) => c.name.startsWith('data equals the backup'));
  expect(restored?.passed).toBe(true);
  expect(restored?.actual).toMatch(/^2000 [0-9a-f]{32}$/);

  // db-migration-rollback: dbmigrate.py's revision back at the config's base, the seeded movements intact.
  const mr = run.record('db-migration-rollback');
  expect(mr.checks.find((c) => c.name.startsWith('schema back at 001'))).toMatchObject({
    actual: '001',
    passed: true,
  });
  expect(mr.checks.find((c) => c.name.startsWith('data from before the release intact'))?.passed).toBe(true);

  // deploy-rollback: a criterion triggered the rollback of the broken release.
  const dr = run.record('deploy-rollback');
  expect(dr.checks.find((c) => c.name === 'rollback decision')?.actual).toMatch(
    /^(health-check|error-rate|latency): /,
  );

  expectNothingLeft(run.summary.runId, backend);
}

/**
 * The other Q1 drills on one backend, from the example's config: with synchronous replication nothing
 * acknowledged is lost; with the replication link stalled first, the async drill loses the acknowledged writes
 * of the lag and the sync one none; nothing is left behind.
 */
async function q1Variants(backend: 'local' | 'docker'): Promise<void> {
  const ids = ['q1-db-failover-sync', 'q1-db-failover-lagging', 'q1-db-failover-lagging-sync'];
  const run = await runExample(ids, backend);
  expect(run.res.code, run.res.stdout + run.res.stderr).toBe(0);
  const [sync, async_, lagSync] = run.summary.drills;
  logMeasured(run, backend);
  expect(run.summary.drills.map((d) => [d.id, d.status])).toEqual(ids.map((id) => [id, 'passed']));
  expect(sync?.measured.lostAckedWrites).toBe(0);
  expect(async_?.measured.lostAckedWrites).toBeGreaterThan(0);
  expect(lagSync?.measured.lostAckedWrites).toBe(0);
  expectNothingLeft(run.summary.runId, backend);
}

describe.skipIf(missing !== undefined)('examples/inventory: its data, from its config, on local', () => {
  it('backup-restore, db-migration-rollback and deploy-rollback pass, measured on its own data path', async () => {
    await dataDrills('local');
  }, 600_000);

  it('the other Q1 drills pass: sync loses nothing; lagging, async loses the lag’s acknowledged writes, sync none', async () => {
    await q1Variants('local');
  }, 300_000);

  it('a fingerprint query the running system refuses fails the preparation, naming data.fingerprint, before the fault', async () => {
    const path = exampleWith((doc) =>
      doc.setIn(['data', 'fingerprint'], 'SELECT count(*) FROM no_such_movements'),
    );
    const run = await runExample(['backup-restore'], 'local', path);
    expect(run.res.code).toBe(1);
    expect(run.res.stdout).toMatch(
      /drillbook\.config\.yaml: data\.fingerprint failed on postgres-primary: .*no_such_movements/,
    );
    const record = run.record('backup-restore');
    expect(record.faultAt).toBeUndefined();
    expect(ofPhase(record, 'steady')).toBeUndefined();
    expect(record.criteria.find((c) => !c.passed)?.message).toMatch(
      /^prepare step "record DATA_BEFORE" failed: .*data\.fingerprint failed/,
    );
    expect(record.teardown.leaks).toEqual([]);
    expectNothingLeft(run.summary.runId, 'local');
  }, 180_000);
});

describe.skipIf(dockerSkip)(
  'examples/inventory: its data, from its config, on docker (through its compose file)',
  () => {
    it('backup-restore, db-migration-rollback and deploy-rollback pass, measured on its own data path', async () => {
      await dataDrills('docker');
    }, 600_000);

    it('the other Q1 drills pass: sync loses nothing; lagging, async loses the lag’s acknowledged writes, sync none', async () => {
      await q1Variants('docker');
    }, 300_000);
  },
);

function ofPhase(record: DrillRecord, phase: string) {
  return record.timeline.find((e) => e.kind === 'phase' && e.phase === phase);
}

describe('what the example does not declare, and data mistakes (exit 2, nothing started)', () => {
  it('q3-data-corruption is refused for the example, naming what its config lacks', async () => {
    const res = await drillInOwnTmp(['run', 'q3-data-corruption', '--backend', 'local', '--config', CONFIG]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /^drill: .*drillbook\.config\.yaml: drill q3-data-corruption needs data\.markers, which this config does not declare \(docs\/config\.md\)\n$/,
    );
    expect(res.created).toEqual([]);
  });

  it('drill list says which drills do not apply to the configured system', async () => {
    const res = await drill(['list', '--config', CONFIG]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^q3-data-corruption .*not for inventory: its config lacks data\.markers\]$/m);
    expect(res.stdout).toMatch(/^redis-failure .*not for inventory: its config lacks cache\]$/m);
    expect(res.stdout).toMatch(
      /^alerts-fire .*not for inventory: its config lacks releases\.v2-slow, releases\.v2-crashloop\]$/m,
    );
    expect(res.stdout).toMatch(/^backup-restore .*backends: docker, local\]$/m);
  });

  it('a selection leaves out what does not apply to the example, saying why, and runs the rest', async () => {
    // --shard 20/20 selects past the end: the selection is made and reported, nothing is started.
    // No ids: every drill the backend offers (--quarter Q4 is the full exercise alone).
    const res = await drillInOwnTmp(['run', '--backend', 'local', '--config', CONFIG, '--shard', '20/20']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(
      /^drill: left out: .*drill redis-failure needs cache, which this config does not declare/m,
    );
    expect(res.stderr).toMatch(/^drill: left out: .*drill deploy-rollback-docker needs health\.version, /m);
    expect(res.stderr).toMatch(
      /^drill: left out: .*drill alerts-fire needs releases\.v2-slow, releases\.v2-crashloop, /m,
    );
    expect(res.stderr).toMatch(/^drill: left out: .*runbook: drill q2-site-failover needs blocks /m);
    expect(res.stdout).toMatch(/^shard 20\/20: 0 of [1-9]\d* drills/m);
    expect(res.created).toEqual([]);
  });

  const cases: [string, string, RegExp][] = [
    [
      'a table name that is not one',
      exampleWith((doc) => doc.setIn(['data', 'table'], 'stock movements; DROP')),
      /^drill: .*drillbook\.config\.yaml: data\.table: expected a table name \(lower-case identifier, optionally schema-qualified\)\n$/,
    ],
    [
      'a probe path without its slash',
      exampleWith((doc) => doc.setIn(['data', 'probe', 'path'], 'api/stock')),
      /^drill: .*drillbook\.config\.yaml: data\.probe\.path: expected a path starting with '\/'\n$/,
    ],
    [
      'a migrations section without its base',
      exampleWith((doc) => doc.deleteIn(['data', 'migrations', 'base'])),
      /^drill: .*drillbook\.config\.yaml: data\.migrations\.base: expected string, received undefined\n$/,
    ],
    [
      'an unknown data field',
      exampleWith((doc) => doc.setIn(['data', 'tabel'], 'stock_movements')),
      /^drill: .*drillbook\.config\.yaml: data: unknown field 'tabel'\n$/,
    ],
  ];
  for (const [what, path, line] of cases) {
    it(what, async () => {
      const res = await drillInOwnTmp(['run', 'backup-restore', '--backend', 'local', '--config', path]);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(line);
      expect(res.created).toEqual([]);
    });
  }
});
