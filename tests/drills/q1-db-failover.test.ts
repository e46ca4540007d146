import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillRecord } from '../../harness/record/record.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { computeRpo } from '../../harness/measure/rpo.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { drill, drillInOwnTmp, readSummary, reportDirOf, ROOT, tempReportDir } from '../cli.ts';

const RUNBOOK = 'fixtures/runbook/deployment-runbook.md';

function runDirsOf(runId: string): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`drillbook-${runId}`));
}

describe('q1-db-failover on the local backend', () => {
  it('fails over to the standby, measures RTO and RPO, and leaves nothing behind', async () => {
    const res = await drill(['run', 'q1-db-failover', '--backend', 'local', '--report-dir', tempReportDir()]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const dir = reportDirOf(res.stdout);
    const summary = readSummary(dir);
    const d = summary.drills[0];
    expect(summary.status).toBe('passed');
    expect(d?.status).toBe('passed');
    expect(d?.measured.rtoMs).toBeGreaterThan(0);
    expect(d?.measured.rtoMs).toBeLessThan(d?.objectives.rtoMs ?? 0);
    expect(d?.measured.ackedWrites).toBeGreaterThan(0);
    expect(typeof d?.measured.lostAckedWrites).toBe('number');
    expect(d?.measured.probeIntervalMs).toBeLessThanOrEqual(100);

    // The full record proves its numbers: RPO recomputed from the saved timeline and read-back is the same.
    const record = JSON.parse(readFileSync(join(dir, 'q1-db-failover.json'), 'utf8')) as DrillRecord;
    const present = new Set(
      (record.measurements?.presentSeqRanges ?? []).flatMap(([a, b]) =>
        Array.from({ length: b - a + 1 }, (_, i) => a + i),
      ),
    );
    const rpo = computeRpo(ofKind(record.timeline, 'write'), present, record.faultAt ?? NaN);
    expect(rpo.lostAckedWrites).toBe(d?.measured.lostAckedWrites);
    expect(rpo.lostSeqRanges).toEqual(d?.measured.lostSeqRanges);
    // The writes landed on the promoted standby, whose identity the record carries.
    expect(record.estate?.postgresSystemIdentifier).toMatch(/^\d+$/);
    expect(record.teardown.leaks).toEqual([]);

    // The failover is the runbook document's: each action a block at its line, the document identified.
    const sha256 = createHash('sha256')
      .update(readFileSync(join(ROOT, RUNBOOK), 'utf8'))
      .digest('hex');
    expect(record.runbook).toMatchObject({ path: RUNBOOK, sha256 });
    const procedure = ofKind(record.timeline, 'step').filter((s) => s.phase === 'procedure');
    expect(procedure.map((s) => [s.name, s.via, s.ok])).toEqual([
      ['confirm postgres-primary is down', 'runbook-block', true],
      ['fence postgres-primary', 'runbook-block', true],
      ['promote postgres-standby', 'runbook-block', true],
      ['repoint db traffic to postgres-standby', 'runbook-block', true],
      ['verify writes land on postgres-standby', 'runbook-block', true],
    ]);
    for (const s of procedure) expect(s.source).toMatch(new RegExp(`^${RUNBOOK}#L\\d+$`));
    expect(procedure.at(-1)?.detail).toMatch(/found on postgres-standby \(timeline 2\)$/);

    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    for (const text of [
      'Objectives vs measured',
      'promote postgres-standby',
      'repoint db traffic',
      'fault injected: kill -9',
      'Leak check: nothing left behind',
    ]) {
      expect(md).toContain(text);
    }
    // The auditor's sentence comes from the typed switch event, not from a note's text.
    expect(md).toContain('- Switchover: database endpoint: postgres-primary → postgres-standby');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain(
      'database endpoint: postgres-primary → postgres-standby',
    );
    expect(runDirsOf(summary.runId)).toEqual([]);
    expect(labelledProcesses(summary.runId)).toEqual([]);
  });

  it('with synchronous replication loses no acknowledged write', async () => {
    const res = await drill([
      'run',
      'q1-db-failover-sync',
      '--backend',
      'local',
      '--report-dir',
      tempReportDir(),
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const d = readSummary(reportDirOf(res.stdout)).drills[0];
    expect(d?.measured.ackedWrites).toBeGreaterThan(0);
    expect(d?.measured.lostAckedWrites).toBe(0);
    expect(d?.measured.rpoMs).toBe(0);
  });

  it('runs the failover of the runbook given with --runbook: a broken promote line fails it at that line', async () => {
    const original = readFileSync(join(ROOT, RUNBOOK), 'utf8');
    const broken = original.replace('SELECT pg_promote(false)', "SELECT pg_promote('sixty')");
    expect(broken).not.toBe(original);
    const path = join(tempReportDir(), 'COPY.md');
    writeFileSync(path, broken);
    const line = broken.split('\n').findIndex((l) => l.includes("'sixty'")) + 1;
    const res = await drill([
      'run',
      'q1-db-failover',
      '--backend',
      'local',
      '--runbook',
      path,
      '--report-dir',
      tempReportDir(),
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toContain(`failed at ${path}#L${line}`);
    const dir = reportDirOf(res.stdout);
    const record = JSON.parse(readFileSync(join(dir, 'q1-db-failover.json'), 'utf8')) as DrillRecord;
    expect(record.runbook?.path).toBe(path);
    expect(record.runbook?.sha256).toBe(createHash('sha256').update(broken).digest('hex'));
    const promote = ofKind(record.timeline, 'step').find((s) => s.name === 'promote postgres-standby');
    expect(promote).toMatchObject({ ok: false, via: 'runbook-block', source: `${path}#L${line}` });
    expect(promote?.output).toMatch(/sixty/);
    expect(record.teardown.leaks).toEqual([]);
    expect(labelledProcesses(record.runId)).toEqual([]);
  });

  it('exits 1 naming measured vs objective when the RTO objective is missed', async () => {
    const res = await drill([
      'run',
      'q1-db-failover',
      '--backend',
      'local',
      '--objective',
      'rto=1ms',
      '--report-dir',
      tempReportDir(),
    ]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/FAILED q1-db-failover/);
    expect(res.stdout).toMatch(/RTO [\d.]+ m?s exceeded objective 1 ms for "q1-db-failover"/);
    const d = readSummary(reportDirOf(res.stdout)).drills[0];
    expect(d?.status).toBe('failed');
    expect(d?.objectives.rtoMs).toBe(1);
  });

  it('on SIGINT while the fault is in effect, exits within 15 s and leaves no process or directory', async () => {
    let runId: string | undefined;
    let signalled = 0;
    const res = await drill(
      ['run', 'q1-db-failover', '--backend', 'local', '--report-dir', tempReportDir()],
      {
        env: { DRILL_PROGRESS: '1' },
        onStdout(out, child) {
          runId ??= /drill run (\S+):/.exec(out)?.[1];
          if (!signalled && /fault\s+done/.test(out)) {
            signalled = performance.now();
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(signalled).toBeGreaterThan(0);
    expect(performance.now() - signalled).toBeLessThan(15_000);
    expect(res.code).toBe(130);
    expect(runId).toBeDefined();
    expect(labelledProcesses(runId)).toEqual([]);
    expect(runDirsOf(runId ?? '')).toEqual([]);
    const d = readSummary(reportDirOf(res.stdout)).drills[0];
    expect(d?.status).toBe('error');
    expect(d?.messages.join(' ')).toMatch(/aborted/);
  });
});

describe('drill cleanup', () => {
  it('removes what a SIGKILLed run left behind, found by its labels and run-dir marker', async () => {
    let runId: string | undefined;
    let killed = false;
    await drill(['run', 'q1-db-failover', '--backend', 'local', '--report-dir', tempReportDir()], {
      env: { DRILL_PROGRESS: '1' },
      onStdout(out, child) {
        runId ??= /drill run (\S+):/.exec(out)?.[1];
        if (!killed && /steady\s+done/.test(out)) {
          killed = true;
          child.kill('SIGKILL'); // nothing can be caught: the estate is orphaned
        }
      },
    });
    expect(killed).toBe(true);
    const id = runId ?? '';
    expect(labelledProcesses(id).length).toBeGreaterThan(0);
    expect(runDirsOf(id)).toHaveLength(1);

    const res = await drill(['cleanup', '--run', id]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/kill process \d+/);
    expect(res.stdout).toMatch(/remove .*drillbook-/);
    expect(labelledProcesses(id)).toEqual([]);
    expect(runDirsOf(id)).toEqual([]);
  });
});

describe('bad input', () => {
  it.each([
    [['run', 'no-such-drill'], /unknown drill 'no-such-drill'/],
    [['run', 'q1-db-failover', '--no-such-flag'], /Unknown option '--no-such-flag'/],
    [['run', 'q1-db-failover', '--objective', 'rto=soon'], /--objective rto: 'soon' is not a duration/],
    [['run', '--quarter', 'Q5'], /--quarter must be one of Q1, Q2, Q3, Q4/],
    [['run', 'q1-db-failover', '--backend', 'mainframe'], /--backend must be/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [
      ['run', 'redis-failure', '--runbook', RUNBOOK],
      /--runbook: drill redis-failure executes no runbook block/,
    ],
  ])('drill %j exits 2 with one clear line and starts nothing', async (args, message) => {
    const res = await drillInOwnTmp(args);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).not.toMatch(/report:/);
    expect(res.created).toEqual([]);
  });
});
