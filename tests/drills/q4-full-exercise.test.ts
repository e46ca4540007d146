/**
 * q4-full-exercise on the local backend, as an auditor reads it: `drill run --quarter Q4` runs the plan's stages
 * (Q1 failover, Q2 site loss, Q3 corruption recovery at the DR site, failback, release rollback) one after
 * another on one two-site estate, as one timeline; the report has a row per stage (objective, measured RTO/RPO
 * from that stage's own traffic and canary, verdict) and the plan verdict, signed, and `drill verify` passes on
 * it; nothing is left behind. The site loss's lost writes are exact against the canary rows read straight from
 * the database of a kept estate. Ctrl-C in the middle of a later stage leaves nothing either.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { computeRpo } from '../../harness/measure/rpo.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import type { RunSummary } from '../../harness/report/summary.ts';
import { drill, interruptedAt, readSummary, reportDirOf, runDrills, tempReportDir } from '../cli.ts';
import { canarySeqs, localDb } from './sites.ts';

const STAGES = ['q1-db-failover', 'q2-site-failover', 'q3-data-corruption', 'q2-failback', 'deploy-rollback'];
const H = 3_600_000;

const leftBehind = (runId: string) => ({
  processes: labelledProcesses(runId),
  dirs: readdirSync(tmpdir()).filter((n) => n.startsWith(`drillbook-${runId}`)),
});

describe('the full DR exercise (local)', () => {
  const keys = tempReportDir();
  let dir = '';
  let summary: RunSummary;
  let record: DrillRecord;
  let stdout = '';

  beforeAll(async () => {
    const keygen = await drill(['keygen', '--out', keys]);
    expect(keygen.code, keygen.stderr).toBe(0);
    const run = await runDrills([
      '--quarter',
      'Q4',
      '--backend',
      'local',
      '--signing-key',
      join(keys, 'drill-signing-key.pem'),
    ]);
    stdout = run.res.stdout;
    expect(run.res.code, run.res.stdout + run.res.stderr).toBe(0);
    ({ dir, summary } = run);
    record = JSON.parse(readFileSync(join(dir, 'q4-full-exercise.json'), 'utf8')) as DrillRecord;
  }, 400_000);

  it('--quarter Q4 is the one exercise, and its table has a row per stage judged against the plan', () => {
    expect(summary.drills.map((d) => d.id)).toEqual(['q4-full-exercise']);
    const d = summary.drills[0];
    expect(d?.status).toBe('passed');
    expect(stdout).toMatch(/^PASSED q4-full-exercise stages=5\/5-passed /m);
    const stages = d?.stages ?? [];
    expect(stages.map((s) => s.id)).toEqual(STAGES);
    expect(stages.map((s) => s.quarter)).toEqual(['Q1', 'Q2', 'Q3', 'Q2', 'Q4']);
    // Each stage's objectives are the plan's for that scenario (Q1: RTO 30 min; failback: no acknowledged
    // write lost).
    expect(stages.map((s) => s.objectives)).toEqual([
      { rtoMs: H / 2, rpoMs: H },
      { rtoMs: 4 * H, rpoMs: H },
      { rtoMs: 4 * H, rpoMs: H },
      { rtoMs: 4 * H, rpoMs: 0 },
      { rtoMs: 4 * H, rpoMs: H },
    ]);
    for (const s of stages) {
      expect(s.status, s.id).toBe('passed');
      // Every stage's fault was seen by its own clients: a real outage, measured, within the objective.
      expect(s.measured.rtoMs, s.id).toBeGreaterThan(0);
      expect(s.measured.rtoMs ?? Infinity, s.id).toBeLessThan(s.objectives.rtoMs ?? 0);
      expect(s.measured.ackedWrites, s.id).toBeGreaterThan(20);
    }
    // The site loss lost what had not been shipped yet; the planned failback and the rollback lost nothing.
    expect(stages[1]?.measured.lostAckedWrites).toBeGreaterThan(0);
    expect(stages[3]?.measured.lostAckedWrites).toBe(0);
    expect(stages[4]?.measured.lostAckedWrites).toBe(0);
    // The numbers in the table are the stages' own measurements, not the exercise's.
    for (const [i, s] of (record.stages ?? []).entries()) {
      const m = s.measurements;
      expect(m?.rto?.status === 'recovered' ? Math.round(m.rto.rtoMs) : undefined).toBe(
        stages[i]?.measured.rtoMs,
      );
      expect(m?.rpo?.ackedWrites).toBe(stages[i]?.measured.ackedWrites);
    }
  });

  it('is one timeline on one estate, with stage boundaries and each stage’s events inside its own', () => {
    const phases = ofKind(record.timeline, 'phase');
    expect(phases.filter((p) => p.phase === 'provision')).toHaveLength(1);
    expect(phases.filter((p) => p.phase === 'teardown')).toHaveLength(1);
    expect(phases.filter((p) => p.phase === 'steady')).toHaveLength(5);
    const ts = record.timeline.map((e) => e.t);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    const bounds = ofKind(record.timeline, 'stage');
    expect(bounds.map((b) => [b.index, b.id, b.ok])).toEqual(STAGES.map((id, i) => [i + 1, id, true]));
    const provisioned = phases.find((p) => p.phase === 'provision')?.end ?? Infinity;
    expect(bounds[0]?.t).toBeGreaterThanOrEqual(provisioned);
    for (const [i, b] of bounds.entries()) {
      const next = bounds[i + 1];
      if (next) expect(b.end ?? Infinity).toBeLessThanOrEqual(next.t);
      const s = record.stages?.[i];
      // Its fault inside its span; every probe and canary write of its run id inside it too.
      expect(s?.faultAt).toBeGreaterThan(b.t);
      expect(s?.faultAt).toBeLessThan(b.end ?? 0);
    }
    const inSomeStage = (t: number) => bounds.some((b) => t >= b.t && t <= (b.end ?? -1));
    for (const e of [...ofKind(record.timeline, 'probe'), ...ofKind(record.timeline, 'write')])
      expect(inSomeStage(e.t), `${e.kind} ${e.seq} at ${e.t}`).toBe(true);
    // The database endpoint's whole journey: to the primary site's standby, to the DR site, to the server
    // restored there, home.
    expect(ofKind(record.timeline, 'switch').map((e) => `${e.from}→${e.to}`)).toEqual([
      'postgres-primary→postgres-standby',
      'postgres-standby→postgres-dr',
      'postgres-dr→postgres-restored',
      'postgres-restored→postgres-primary',
    ]);
  });

  it('promotes the standby on a new timeline that the DR site follows, and recovers the corruption at the DR site', () => {
    const steps = ofKind(record.timeline, 'step');
    const within = (i: number) => {
      const b = ofKind(record.timeline, 'stage')[i];
      return steps.filter((s) => s.t >= (b?.t ?? Infinity) && s.t <= (b?.end ?? -1));
    };
    const detail = (i: number, name: string | RegExp) =>
      within(i).find((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)))?.detail ?? '';
    // Stage 1: writes land on the promoted standby, on timeline 2.
    expect(detail(0, 'verify writes land on postgres-standby')).toMatch(
      /found on postgres-standby \(timeline 2\)$/,
    );
    // Stage 2: the DR database restored the promoted standby's shipped segments (timeline 2) before its promotion.
    expect(detail(1, /^promote postgres-dr/)).toMatch(/ after the shipped WAL through 00000002[0-9A-F]{16} /);
    // Stage 3: the DR site's database was corrupted and restored onto a spare at the DR site, from its archive
    // (timeline 3, the DR database's own after its promotion).
    const at = within(2).find((s) => s.name === 'check: the corruption and its recovery are at the DR site');
    expect(at?.ok).toBe(true);
    expect(at?.detail).toMatch(
      /^recovery at site-dr: postgres-dr corrupted, restored onto postgres-restored \(\S+\/site-dr\/postgres-restored\)/,
    );
    expect(detail(2, 'runbook block wal-switch')).toMatch(/^archived through 00000003[0-9A-F]{16}$/);
    const faults = ofKind(record.timeline, 'fault');
    expect(faults.map((f) => f.target)).toContain('postgres-dr');
    expect(record.stages?.[2]?.title).toMatch(/at the DR site/);
    // Stage 4: home rebuilt from the server restored at the DR site.
    expect(detail(3, 'rebuild postgres-primary from postgres-restored')).toMatch(
      / rebuilt from the DR database by /,
    );
  });

  it('reports the stages and the plan verdict, signed, and drill verify passes', async () => {
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('### Stages');
    expect(md).toMatch(/^\| 1 \| q1-db-failover: .* \| Q1 \| .* \| pass \|$/m);
    expect(md).toMatch(
      /^\| 3 \| q3-data-corruption: Data corruption at the DR site.* \| Q3 \| .* \| pass \|$/m,
    );
    expect(md).toContain('**Plan verdict: PASSED** (5 of 5 stages passed; nothing left behind)');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<table class="grid stages">');
    const verify = await drill(['verify', dir, '--public-key', join(keys, 'drill-signing-key.pub.pem')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/verified: .* is intact, signed by the given key/);
  });

  it('leaves nothing behind', () => {
    expect(record.teardown.leaks).toEqual([]);
    expect(record.criteria.find((c) => c.name === 'cleanup')?.passed).toBe(true);
    expect(leftBehind(summary.runId)).toEqual({ processes: [], dirs: [] });
  });
});

describe('the site loss stage against an independent read (local)', () => {
  it('lost exactly the acknowledged writes absent from the canary rows read straight from the database', async () => {
    const { res, dir, summary: kept } = await runDrills(['q4-full-exercise', '--backend', 'local', '--keep']);
    const runId = kept.runId;
    // The canary rows of stages 1 and 2 (their run ids are the exercise's and -N), read from the database that
    // holds the truth at the end (home, after the failback), before any assertion, then the estate removed.
    let present: Set<number>[] = [];
    try {
      // The drill's own verdict first: after a failed stage the home database may be down, and a refused
      // connection would hide why.
      expect(res.code, res.stdout + res.stderr).toBe(0);
      const conn = localDb(runId, 'q4-full-exercise', 'primary');
      present = [await canarySeqs(conn, `${runId}-1`), await canarySeqs(conn, `${runId}-2`)];
    } finally {
      const clean = await drill(['cleanup', '--run', runId]);
      expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    }
    const record = JSON.parse(readFileSync(join(dir, 'q4-full-exercise.json'), 'utf8')) as DrillRecord;
    const bounds = ofKind(record.timeline, 'stage');
    for (const i of [0, 1]) {
      const stage = record.stages?.[i];
      const b = bounds[i];
      const rpo = stage?.measurements?.rpo;
      expect(rpo, STAGES[i]).toBeDefined();
      const writes = ofKind(record.timeline, 'write').filter(
        (w) => w.t >= (b?.t ?? Infinity) && w.t <= (b?.end ?? -1),
      );
      const independent = computeRpo(writes, present[i] ?? new Set(), stage?.faultAt ?? NaN);
      expect(independent.unexpectedSeqs, STAGES[i]).toEqual([]);
      expect(independent.ackedWrites, STAGES[i]).toBe(rpo?.ackedWrites);
      expect(independent.lostSeqRanges, STAGES[i]).toEqual(rpo?.lostSeqRanges);
      expect(independent.lostAckedWrites, STAGES[i]).toBe(rpo?.lostAckedWrites);
    }
    // The site loss lost what had not been shipped yet, and its shipping measurement lists exactly those writes.
    const ship = record.stages?.[1]?.measurements?.shipping;
    expect(record.stages?.[1]?.measurements?.rpo?.lostAckedWrites).toBeGreaterThan(0);
    const acked = ofKind(record.timeline, 'write').filter(
      (w) => w.outcome === 'ok' && w.t >= (bounds[1]?.t ?? Infinity) && w.t <= (bounds[1]?.end ?? -1),
    );
    expect(new Set(ship?.lostWrites.map((w) => w.seq))).toEqual(
      new Set(acked.filter((w) => !present[1]?.has(w.seq)).map((w) => w.seq)),
    );
    expect(ship?.lossWindowMs).toBeLessThanOrEqual(2000 + 1000);
    expect(leftBehind(runId)).toEqual({ processes: [], dirs: [] });
  }, 400_000);
});

describe('Ctrl-C in the middle of a later stage (local)', () => {
  it('stops in that stage, records the earlier stages and the unrun ones, and leaves nothing behind', async () => {
    // Stage 3's recovery is under way: a spare server is being restored at the DR site.
    const { res, runId, signalled } = await interruptedAt(
      ['run', 'q4-full-exercise', '--backend', 'local', '--report-dir', tempReportDir()],
      /q3-data-corruption {2}procedure …/,
    );
    expect(signalled).toBe(true);
    expect(res.code).toBe(130);
    const dir = reportDirOf(res.stdout);
    const record = JSON.parse(readFileSync(join(dir, 'q4-full-exercise.json'), 'utf8')) as DrillRecord;
    expect(record.error).toMatchObject({ aborted: true, phase: 'procedure' });
    const stages = readSummary(dir).drills[0]?.stages ?? [];
    expect(stages.map((s) => [s.id, s.status])).toEqual([
      ['q1-db-failover', 'passed'],
      ['q2-site-failover', 'passed'],
      ['q3-data-corruption', 'error'],
      ['q2-failback', 'not run'],
      ['deploy-rollback', 'not run'],
    ]);
    expect(record.teardown.leaks).toEqual([]);
    expect(record.teardown.results.filter((r) => !r.ok)).toEqual([]);
    expect(leftBehind(runId ?? '?')).toEqual({ processes: [], dirs: [] });
  }, 400_000);
});
