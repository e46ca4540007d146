/**
 * The two-site docker estate with `postgres.standby`: a streaming standby at the primary site (its container on
 * the primary site's network), following the primary as on the one-site estate, async or sync as asked. Once
 * promoted (a database failover), it archives into the DR site's copy of the archive, so the DR database goes
 * on restoring, onto the new timeline: a row written on the promoted standby reaches the DR database.
 *
 * The estate is provisioned directly (no drill declares this topology yet); it is torn down by its own stack,
 * and nothing of it may be left on Docker.
 *
 * Without a Docker engine or without the images this is skipped with the reason and how to get them, except
 * under CI (CI set), where a missing engine or image is a failure.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { newRunId } from '../../harness/core/session.ts';
import { TeardownStack } from '../../harness/core/teardown.ts';
import { findEstateLeaks, provisionEstate } from '../../harness/estate/provision.ts';
import type { Estate, PostgresRole, Topology } from '../../harness/estate/types.ts';
import { projectSystem } from '../cli.ts';
import { leftOnDocker, skipWithoutDocker } from '../docker.ts';

const skip = await skipWithoutDocker('the docker two-site standby test');

const DRILL = 'sites-standby';
const topology = (replication: 'async' | 'sync'): Topology => ({
  postgres: { standby: true, replication },
  redis: false,
  app: { version: 'v1' },
  sites: { feed: 'wal-shipping', archiveTimeoutMs: 2000, redisSnapshotMs: 2000, drApp: 'cold' },
});

/** The value of one column of the first row, as text. */
async function one(role: PostgresRole, sql: string): Promise<string | undefined> {
  const [row] = await role.query<Record<string, unknown>>(sql);
  return row ? String(Object.values(row)[0]) : undefined;
}

async function until(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(200);
  }
}

describe.skipIf(skip)('a streaming standby at the primary site of the docker two-site estate', () => {
  let current: { runId: string; teardown: TeardownStack; estate?: Estate } | undefined;

  async function provision(replication: 'async' | 'sync'): Promise<Estate> {
    const runId = newRunId();
    const teardown = new TeardownStack();
    current = { runId, teardown };
    current.estate = await provisionEstate('docker', topology(replication), {
      runId,
      drillId: DRILL,
      system: projectSystem(),
      teardown,
      startTimeoutMs: 120_000,
    });
    return current.estate;
  }

  afterEach(async () => {
    if (!current) return;
    const { runId, teardown, estate } = current;
    current = undefined;
    const results = await teardown.run();
    expect(results.filter((r) => !r.ok)).toEqual([]);
    if (estate) expect(await findEstateLeaks('docker', runId, estate.resources(), DRILL)).toEqual([]);
    expect(leftOnDocker(runId)).toEqual([]);
  }, 120_000);

  it('follows the primary (async); promoted, it keeps feeding the DR site, which follows its timeline', async () => {
    const estate = await provision('async');
    const { primary, standby } = estate.postgres;
    const sites = estate.sites;
    if (!standby || !sites) throw new Error('no standby or no sites');
    expect(standby.name).toBe('postgres-standby');
    // At the primary site: it dies, is cut off and is fenced with it.
    expect(sites.primary.roles.map((r) => r.name)).toContain('postgres-standby');
    expect(
      await one(primary, "SELECT state FROM pg_stat_replication WHERE application_name = 'postgres_standby'"),
    ).toBe('streaming');
    expect(await standby.isInRecovery()).toBe(true);

    await primary.query('CREATE TABLE feed (id int PRIMARY KEY, at text)');
    await primary.query("INSERT INTO feed VALUES (1, 'before the failover')");
    await until(
      'the standby has the row',
      30_000,
      async () => (await one(standby, 'SELECT count(*) FROM feed')) === '1',
    );

    // A database failover: the primary's container killed, the standby promoted.
    await primary.signal('SIGKILL');
    await standby.query('SELECT pg_promote(true, 60)');
    expect(await standby.isInRecovery()).toBe(false);
    await standby.query("INSERT INTO feed VALUES (2, 'after the failover')");
    await standby.query('SELECT pg_switch_wal()');

    // The promoted standby archives into the DR site's archive: its timeline's history and segments arrive
    // there, and the DR database, restoring from it, follows onto timeline 2: the new row exists only there.
    await until('the timeline history in the DR archive', 30_000, () =>
      Promise.resolve(existsSync(join(sites.dr.walDir, '00000002.history'))),
    );
    const dr = sites.dr.postgres;
    await until(
      'the DR database has the row written after the failover',
      60_000,
      async () => (await one(dr, 'SELECT count(*) FROM feed WHERE id = 2')) === '1',
    );
    expect(await dr.isInRecovery()).toBe(true);
  }, 400_000);

  it('is synchronous when the topology says sync', async () => {
    const estate = await provision('sync');
    const { primary } = estate.postgres;
    expect(
      await one(
        primary,
        "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'postgres_standby'",
      ),
    ).toBe('sync');
  }, 400_000);
});
