/**
 * What the site-failure drills (q2-site-failover and its variants) must show on every backend, checked from the
 * saved record and, independently of the harness's own read-back, from the canary rows read straight from the
 * promoted DR database of a kept estate.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { computeRpo } from '../../harness/measure/rpo.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import type { DrillSummary } from '../../harness/report/summary.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { partitionLeaks } from '../../harness/estate/host/partition.ts';
import { blockOf, loadRunbook } from '../../harness/runbook/markdown.ts';
import { drill, readSummary, reportDirOf, ROOT, tempReportDir } from '../cli.ts';

export interface KeptSites {
  runId: string;
  dir: string;
  drills: { summary: DrillSummary; record: DrillRecord; present: Set<number> }[];
}

/**
 * Run the drills with --keep, read each promoted DR database's canary rows directly, then remove the estates
 * with `drill cleanup` (also when an assertion fails later: the read happens before any assertion).
 */
export async function runKeptSites(
  backend: 'local' | 'docker',
  ids: readonly string[],
  /** Where the truth is read from at the end: the promoted DR database, or (a failback) the primary site's. */
  at: 'dr' | 'primary' = 'dr',
): Promise<KeptSites> {
  const res = await drill(['run', ...ids, '--backend', backend, '--keep', '--report-dir', tempReportDir()]);
  const dir = reportDirOf(res.stdout);
  const summary = readSummary(dir);
  try {
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const drills = [];
    for (const s of summary.drills) {
      const record = JSON.parse(readFileSync(join(dir, s.reportFile), 'utf8')) as DrillRecord;
      const conn = backend === 'local' ? localDb(summary.runId, s.id, at) : dockerDb(summary.runId, s.id, at);
      drills.push({ summary: s, record, present: await canarySeqs(conn, summary.runId) });
      // The primary was a copy of a template cluster initialised with trust: only the run's password opens it,
      // from the host and, on docker, from inside the container too (its loopback and its socket).
      await expect(canarySeqs({ ...conn, password: `${conn.password}-not` }, summary.runId)).rejects.toThrow(
        /password authentication failed/,
      );
      if (backend === 'docker') expectNoPasswordlessLogin(summary.runId, s.id, at);
    }
    return { runId: summary.runId, dir, drills };
  } finally {
    const clean = await drill(['cleanup', '--run', summary.runId]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  }
}

interface Conn {
  host: string;
  port: number;
  password: string;
}

/** local: the database's port from its postmaster.pid, the password from the primary's password file. */
export function localDb(runId: string, drillId: string, at: 'dr' | 'primary'): Conn {
  const prefix = `drillbook-${runId}-${drillId}-`;
  const runDir = join(
    tmpdir(),
    readdirSync(tmpdir()).find((n) => n.startsWith(prefix) && !n.slice(prefix.length).includes('-')) ??
      prefix,
  );
  const data =
    at === 'dr' ? join(runDir, 'site-dr', 'postgres-dr') : join(runDir, 'site-primary', 'postgres-primary');
  const port = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[3]);
  const password = readFileSync(join(runDir, 'postgres-primary.pw'), 'utf8').trim();
  return { host: '127.0.0.1', port, password };
}

/** docker: psql without a password inside the database's container, over its loopback and its socket, fails. */
function expectNoPasswordlessLogin(runId: string, drillId: string, at: 'dr' | 'primary'): void {
  const id = dbContainer(runId, drillId, at);
  for (const host of ['127.0.0.1', '/var/run/postgresql']) {
    const r = spawnSync(
      'docker',
      [
        'exec',
        '-u',
        'postgres',
        id,
        'psql',
        '-w',
        '-h',
        host,
        '-U',
        'drill',
        '-d',
        'postgres',
        '-c',
        'SELECT 1',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, `psql -h ${host} without a password: ${r.stdout}${r.stderr}`).not.toBe(0);
    expect(r.stderr).toMatch(/no password supplied|password authentication failed|No such file or directory/);
  }
}

function dbContainer(runId: string, drillId: string, at: 'dr' | 'primary'): string {
  return execFileSync(
    'docker',
    [
      'ps',
      '-q',
      '--filter',
      `label=drillbook.run-id=${runId}`,
      '--filter',
      `label=drillbook.drill=${drillId}`,
      '--filter',
      `label=drillbook.role=${at === 'dr' ? 'postgres-dr' : 'postgres-primary'}`,
    ],
    { encoding: 'utf8' },
  ).trim();
}

/** docker: the database container's published port and its PG_PASSWORD, as `docker inspect` shows them. */
function dockerDb(runId: string, drillId: string, at: 'dr' | 'primary'): Conn {
  const id = dbContainer(runId, drillId, at);
  const [info] = JSON.parse(execFileSync('docker', ['inspect', id], { encoding: 'utf8' })) as {
    Config: { Env: string[] };
    NetworkSettings: { Ports: Record<string, { HostPort: string }[] | null> };
  }[];
  const env = info?.Config.Env.find((e) => e.startsWith('PG_PASSWORD=')) ?? '';
  const port = Number(info?.NetworkSettings.Ports['5432/tcp']?.[0]?.HostPort);
  return { host: '127.0.0.1', port, password: env.slice('PG_PASSWORD='.length) };
}

/** The canary seqs of `runId` (a drill's, or a stage's: the exercise's run id and `-N`) in that database. */
export async function canarySeqs(conn: Conn, runId: string): Promise<Set<number>> {
  const client = new pg.Client({ ...conn, user: 'drill', database: 'app', connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const res = await client.query<{ seq: string }>(
      'SELECT canary_seq::text AS seq FROM orders WHERE canary_run = $1',
      [runId],
    );
    return new Set(res.rows.map((r) => Number(r.seq)));
  } finally {
    await client.end();
  }
}

/**
 * The figures issue 10 asks for, asserted on one drill: the loss exact against the independent read, related
 * to the last shipped segment and bounded by archive_timeout; the Redis keys lost against the snapshot's age;
 * the runbook's blocks as the procedure. Returns the loss window and a line for the test's log.
 */
export function assertSiteFailover(d: KeptSites['drills'][number]): { lossWindowMs: number; line: string } {
  const { summary: s, record, present } = d;
  const m = s.measured;
  const ship = record.measurements?.shipping;
  const sites = record.settings.sites;
  expect(s.status).toBe('passed');
  expect(ship).toBeDefined();
  expect(sites).toBeDefined();
  if (!ship || !sites) throw new Error('no shipping measurement');
  const faultAt = record.faultAt ?? NaN;
  const writes = ofKind(record.timeline, 'write');

  // Exactly which acknowledged writes were lost: the record's list is the independent read's.
  const independent = computeRpo(writes, present, faultAt);
  expect(independent.unexpectedSeqs).toEqual([]);
  expect(independent.lostSeqRanges).toEqual(m.lostSeqRanges);
  expect(independent.rpoMs).toBeCloseTo(ship.lossWindowMs, 6);
  const lostSeqs = new Set(ship.lostWrites.map((w) => w.seq));
  expect(independent.lostAckedWrites).toBe(lostSeqs.size);
  for (const w of writes.filter((x) => x.outcome === 'ok'))
    expect(lostSeqs.has(w.seq), `seq ${w.seq}`).toBe(!present.has(w.seq));
  // Something was lost: the site died with a segment not yet shipped.
  expect(independent.lostAckedWrites).toBeGreaterThan(0);

  // The loss window is the last shipped segment's age (give or take its switch-to-arrival time and the last
  // kept write's acknowledgement delay), and archive_timeout bounds it.
  expect(ship.lastWal).toBeDefined();
  const age = ship.lastWal?.ageMs ?? NaN;
  expect(Math.abs(ship.lossWindowMs - age)).toBeLessThan(500);
  expect(ship.lossWindowMs).toBeLessThanOrEqual(sites.archiveTimeoutMs + 1000);
  // The fault struck half of (archive_timeout − 1 s) after a segment arrived.
  const strike = (sites.archiveTimeoutMs - 1000) / 2;
  // (The file's modification time comes from the kernel's coarse clock, the drill clock is monotonic from its
  // wall-clock origin: they disagree by a few to tens of ms.)
  expect(age).toBeGreaterThan(strike - 50);
  expect(age).toBeLessThan(strike + 500);
  // Segments were shipped at archive_timeout's pace (PostgreSQL checks it in whole seconds).
  expect(ship.walIntervalMedianMs).toBeGreaterThan(sites.archiveTimeoutMs - 1300);
  expect(ship.walIntervalMedianMs).toBeLessThan(sites.archiveTimeoutMs + 500);

  // Redis: the keys acknowledged after the last shipped snapshot are lost, and only those.
  const cache = record.measurements?.cache;
  expect(cache?.lostAckedWrites).toBeGreaterThan(0);
  expect(cache?.unexpectedKeys).toBe(0);
  expect(ship.lastSnapshot).toBeDefined();
  expect(Math.abs((cache?.windowMs ?? NaN) - (ship.lastSnapshot?.ageMs ?? NaN))).toBeLessThan(500);
  // After the switch the canary's keys land in the DR site's Redis.
  expect(cache?.ackedAgainAfterMs).toBeDefined();

  // The procedure is the runbook's DR scenario 2, block by block.
  const steps = ofKind(record.timeline, 'step').filter(
    (e) => e.phase === 'procedure' && e.via === 'runbook-block',
  );
  expect(steps).toHaveLength(7);
  for (const e of steps) expect(e.source).toMatch(/^fixtures\/runbook\/deployment-runbook\.md#L\d+$/);
  expect(ofKind(record.timeline, 'switch').map((e) => e.to)).toContain('postgres-dr');
  expect(m.rtoMs).toBeLessThan(s.objectives.rtoMs ?? 0);
  const criteria = Object.fromEntries(record.criteria.map((c) => [c.name, c.passed]));
  expect(criteria).toMatchObject({ rto: true, rpo: true, shipping: true, cache: true });

  return {
    lossWindowMs: ship.lossWindowMs,
    line: `${s.id}: archive_timeout ${sites.archiveTimeoutMs} ms, WAL interval median ${ship.walIntervalMedianMs?.toFixed(0)} ms; lost ${lostSeqs.size} acked writes (independent read: ${independent.lostAckedWrites}), loss window ${ship.lossWindowMs.toFixed(0)} ms, last segment ${ship.lastWal?.name} ${age.toFixed(0)} ms old; Redis lost ${cache?.lostAckedWrites} keys over ${cache?.windowMs.toFixed(0)} ms, snapshot ${ship.lastSnapshot?.ageMs.toFixed(0)} ms old; RTO ${m.rtoMs} ms; wall ${record.durationMs.toFixed(0)} ms`,
  };
}

/**
 * The partition drill with the fence line removed from a runbook copy: the split-brain check must fail it (exit
 * 1) naming the fence block and its line, and everything it made must be gone though it failed. Returns the run id.
 */
export async function assertFenceRemovedFails(backend: 'local' | 'docker'): Promise<string> {
  const runbook = join(ROOT, 'fixtures', 'runbook', 'deployment-runbook.md');
  const fenceLine = blockOf(loadRunbook(runbook, runbook), 'site-fence').line;
  const copy = join(tempReportDir(), 'runbook-without-fence.md');
  const text = readFileSync(runbook, 'utf8');
  const fence = 'infra fence "$PRIMARY_SITE"\n';
  expect(text).toContain(fence);
  writeFileSync(copy, text.replace(fence, ''));
  const res = await drill([
    'run',
    'q2-site-partition',
    '--backend',
    backend,
    '--runbook',
    copy,
    '--report-dir',
    tempReportDir(),
  ]);
  const out = res.stdout + res.stderr;
  expect(res.code, out).toBe(1);
  // The old primary, alive and back on the network, acknowledged writes the DR database never saw.
  expect(out).toMatch(
    new RegExp(
      `split brain: .* [1-9]\\d* of \\d+ acknowledged; running at site-primary: postgres-primary.*The fence \\(runbook block site-fence, ${copy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#L${fenceLine}\\) did not hold`,
    ),
  );
  const summary = readSummary(reportDirOf(res.stdout));
  expect(summary.drills[0]?.status).toBe('failed');
  // Everything the drill started is gone, the cut network healed, though it failed.
  expect(labelledProcesses(summary.runId)).toEqual([]);
  expect(await partitionLeaks(summary.runId)).toEqual([]);
  return summary.runId;
}

/**
 * q2-failback on a backend, its estate kept: the primary site rebuilt from the DR site by pg_rewind, replicating
 * back, then the planned switchover home under live traffic. No acknowledged write lost, checked against an
 * independent read of the canary rows on the primary site's database; Redis handed over with nothing lost; the
 * switchover's downtime measured from live traffic. Returns the run id (the kept estate is gone by then).
 */
export async function assertFailback(backend: 'local' | 'docker'): Promise<string> {
  const run = await runKeptSites(backend, ['q2-failback'], 'primary');
  const d = run.drills[0];
  if (!d) throw new Error('no drill in the run');
  const { summary: s, record, present } = d;
  expect(s.status).toBe('passed');
  const writes = ofKind(record.timeline, 'write');
  const acked = writes.filter((w) => w.outcome === 'ok');
  expect(acked.length).toBeGreaterThan(50);
  // Every acknowledged write is on the primary site's database, read directly.
  const independent = computeRpo(writes, present, record.faultAt ?? NaN);
  expect(independent.lostAckedWrites).toBe(0);
  expect(independent.unexpectedSeqs).toEqual([]);
  expect(s.measured.lostAckedWrites).toBe(0);
  for (const w of acked) expect(present.has(w.seq), `seq ${w.seq}`).toBe(true);
  // Writes went on during the switchover: some acknowledged after t_f, by the primary site.
  expect(acked.some((w) => w.t > (record.faultAt ?? Infinity) + (s.measured.rtoMs ?? 0))).toBe(true);
  // Redis was handed over with nothing acknowledged lost.
  expect(record.measurements?.cache?.lostAckedWrites).toBe(0);

  const steps = ofKind(record.timeline, 'step');
  const rebuild = steps.find((e) => e.name.startsWith('rebuild postgres-primary'));
  expect(rebuild?.detail).toMatch(/rebuilt from the DR database by pg_rewind/);
  expect(steps.filter((e) => e.phase === 'procedure').map((e) => e.via)).toEqual(
    Array(3).fill('runbook-block'),
  );
  const switches = ofKind(record.timeline, 'switch').map((e) => `${e.from}→${e.to}`);
  expect(switches).toEqual(['postgres-primary→postgres-dr', 'postgres-dr→postgres-primary']);
  // The downtime of the switchover, measured from live traffic.
  expect(s.measured.rtoMs).toBeGreaterThan(0);
  expect(s.measured.rtoMs).toBeLessThan(s.objectives.rtoMs ?? 0);
  console.log(
    `q2-failback (${backend}): ${acked.length} acked writes, 0 lost (independent read: ${independent.lostAckedWrites}); switchover downtime ${s.measured.rtoMs} ms; rebuild ${((rebuild?.end ?? 0) - (rebuild?.t ?? 0)).toFixed(0)} ms: ${rebuild?.detail ?? ''}; wall ${record.durationMs.toFixed(0)} ms`,
  );
  expect(labelledProcesses(run.runId)).toEqual([]);
  return run.runId;
}

/**
 * The partition drill on a backend: the DR site activated as for a kill, then the old site back on the network
 * and the split-brain check passing because the fence held (no write a client sends the old primary is
 * acknowledged, nothing runs at the old site); nothing left, the cut healed. Returns the run id.
 */
export async function assertPartitionHeld(backend: 'local' | 'docker'): Promise<string> {
  const run = await runKeptSites(backend, ['q2-site-partition']);
  const d = run.drills[0];
  if (!d) throw new Error('no drill in the run');
  console.log(assertSiteFailover(d).line);
  const steps = ofKind(d.record.timeline, 'step').filter((e) => e.phase === 'procedure');
  // The runbook's seven blocks, then the site back on the network, then the split-brain check.
  expect(steps.slice(-2).map((s) => s.name)).toEqual([
    'the primary site comes back (its network whole again)',
    'split-brain check: no client write lands on the old site',
  ]);
  // Fenced: the old site's servers were stopped, so the writes are refused.
  expect(steps.at(-1)?.detail).toMatch(
    /^the fence held: a client holding the old addresses tried (\d+) writes straight to postgres-primary .*: 0 of \1 acknowledged .*running at site-primary: nothing$/,
  );
  expect(steps.at(-2)?.detail).toMatch(/running there: nothing$/);
  expect(labelledProcesses(run.runId)).toEqual([]);
  expect(await partitionLeaks(run.runId)).toEqual([]);
  return run.runId;
}
