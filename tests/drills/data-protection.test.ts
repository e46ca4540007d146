import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newRunId } from '../../harness/core/session.ts';
import { drillStatus, type DrillRecord } from '../../harness/record/record.ts';
import { runDrill } from '../../harness/drill/runner.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { q3DataCorruption } from '../../scenarios/q3-data-corruption.ts';
import { drill, projectSystem, readSummary, reportDirOf, ROOT, runDrills, tempReportDir } from '../cli.ts';

const leftovers = (runId: string) => readdirSync(tmpdir()).filter((n) => n.startsWith(`drillbook-${runId}`));

describe('data-protection drills through the executable runbook', () => {
  it('q3, backup-restore, db-migration-rollback and backup-verify pass and report what they measured', async () => {
    const { res, dir, summary } = await runDrills([
      'q3-data-corruption',
      'backup-restore',
      'db-migration-rollback',
      'backup-verify',
      '--backend',
      'local',
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(summary.drills.map((d) => [d.id, d.status])).toEqual([
      ['q3-data-corruption', 'passed'],
      ['backup-restore', 'passed'],
      ['db-migration-rollback', 'passed'],
      ['backup-verify', 'passed'],
    ]);
    for (const d of summary.drills) {
      expect(d.measured.ackedWrites).toBeGreaterThan(0);
      if (d.id !== 'backup-verify') expect(d.measured.rtoMs).toBeGreaterThan(0);
    }

    // Q3: the restore target, the point reached, and writes lost before and after the corruption.
    const q3 = JSON.parse(readFileSync(join(dir, 'q3-data-corruption.json'), 'utf8')) as DrillRecord;
    const target = q3.checks.find((c) => c.name === 'restore target vs point reached');
    expect(target?.passed).toBe(true);
    expect(target?.actual).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(q3.checks.find((c) => c.name.startsWith('corruption absent'))).toMatchObject({
      actual: '0',
      passed: true,
    });
    const rpo = q3.measurements?.rpo;
    expect(rpo?.lostBeforeFault).toBe(0);
    // Writes acked on the corrupted primary before the switch are gone with it, and counted.
    expect(rpo?.lostAfterFault).toBeGreaterThan(0);
    expect(rpo?.lostAckedWrites).toBe((rpo?.lostBeforeFault ?? 0) + (rpo?.lostAfterFault ?? 0));
    const steps = ofKind(q3.timeline, 'step');
    expect(steps.find((s) => s.name === 'runbook block pitr-restore')?.source).toMatch(
      /^fixtures\/runbook\/deployment-runbook\.md#L\d+$/,
    );
    expect(q3.runbook?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('restore target vs point reached');

    // backup-restore: the data from backup time is back, byte for byte.
    const br = JSON.parse(readFileSync(join(dir, 'backup-restore.json'), 'utf8')) as DrillRecord;
    expect(br.checks.find((c) => c.name.startsWith('data equals the backup'))?.passed).toBe(true);

    // db-migration-rollback: which criterion triggered the rollback, and the data intact.
    const mr = JSON.parse(readFileSync(join(dir, 'db-migration-rollback.json'), 'utf8')) as DrillRecord;
    expect(mr.checks.find((c) => c.name === 'rollback decision')?.actual).toMatch(
      /^(health-check|error-rate|latency): /,
    );
    expect(mr.checks.find((c) => c.name.startsWith('data from before the release intact'))?.passed).toBe(
      true,
    );
    // The release and the rollback are the runbook's own blocks, the fault included.
    expect(ofKind(mr.timeline, 'fault').find((f) => f.state === 'injected')?.detail).toMatch(
      /^runbook block migrate-up \(\S+#L\d+\): current: 0002; runbook block deploy-release \(\S+#L\d+\): service runs v2$/,
    );
    expect(ofKind(mr.timeline, 'step').find((s) => s.name === 'runbook block deploy-release')).toMatchObject({
      ok: true,
      via: 'runbook-block',
      phase: 'procedure',
    });

    // Every drill that runs blocks names the document it ran them from.
    for (const d of summary.drills) {
      const r = JSON.parse(readFileSync(join(dir, `${d.id}.json`), 'utf8')) as DrillRecord;
      expect(r.runbook, d.id).toMatchObject({ path: 'fixtures/runbook/deployment-runbook.md' });
      expect(r.runbook?.sha256, d.id).toMatch(/^[0-9a-f]{64}$/);
      for (const s of ofKind(r.timeline, 'step').filter((s) => s.via === 'runbook-block'))
        expect(s.source, `${d.id}: ${s.name}`).toMatch(/deployment-runbook\.md#L\d+$/);
    }
    expect(leftovers(summary.runId)).toEqual([]);
  });

  it('a broken command in a runbook block fails the drill, naming the markdown file and line, leaving nothing', async () => {
    const original = readFileSync(join(ROOT, 'fixtures/runbook/deployment-runbook.md'), 'utf8');
    const broken = original.replace('--clean --if-exists --no-owner', '--clean --if-exists --no-such-flag');
    const path = join(tempReportDir(), 'broken-runbook.md');
    writeFileSync(path, broken);
    const line = broken.split('\n').findIndex((l) => l.includes('--no-such-flag')) + 1;
    const res = await drill(['run', 'backup-restore', '--runbook', path, '--report-dir', tempReportDir()]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`failed at ${path}#L${line}`);
    expect(res.stdout).toMatch(/pg_restore: unrecognized option '--no-such-flag'/);
    const runId = readSummary(reportDirOf(res.stdout)).runId;
    expect(labelledProcesses(runId)).toEqual([]);
    expect(leftovers(runId)).toEqual([]);
  });

  it('refuses a recovery target beyond the archived WAL loudly, never restoring to the latest point', async () => {
    const runId = newRunId();
    const record = await runDrill(q3DataCorruption({ targetOffsetMs: 3_600_000 }), {
      runId,
      backend: 'local',
      system: projectSystem(),
    });
    expect(drillStatus(record)).toBe('failed');
    const restore = ofKind(record.timeline, 'step').find((s) => s.name === 'runbook block pitr-restore');
    expect(restore?.ok).toBe(false);
    expect(restore?.output).toMatch(/recovery ended before configured recovery target was reached/);
    expect(restore?.source).toMatch(/deployment-runbook\.md#L\d+$/);
    // Traffic never moved to a copy restored to "latest".
    expect(ofKind(record.timeline, 'step').some((s) => s.name.startsWith('repoint'))).toBe(false);
    expect(record.teardown.leaks).toEqual([]);
    expect(leftovers(runId)).toEqual([]);
  });
});
