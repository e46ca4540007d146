/**
 * The docker backend, as a user drives it: `drill images build`, `drill run ... --backend docker`, Ctrl-C and
 * `drill cleanup`. Every check looks at what a user would: exit codes, summary.json, the drill records, and
 * `docker ps -a` / `docker network ls` filtered by the run's label.
 *
 * Without a Docker engine or without the images these tests are skipped with the reason and how to get them,
 * except under CI (CI set), where a missing engine or image is a failure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newRunId } from '../../harness/core/session.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import { drillStatus, phaseDurations } from '../../harness/record/record.ts';
import { runDrill } from '../../harness/drill/runner.ts';
import { dockerProblem } from '../../harness/estate/docker/checks.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { q3DataCorruption } from '../../scenarios/q3-data-corruption.ts';
import { leftOnDocker, skipWithoutDocker } from '../docker.ts';
import {
  drill,
  interruptedAt,
  projectSystem,
  readSummary,
  reportDirOf,
  runDrills,
  tempReportDir,
} from '../cli.ts';
import { assertLagging, LAGGING, runKept } from './lagging.ts';

const skip = await skipWithoutDocker('the docker drills');

function recordOf(dir: string, id: string): DrillRecord {
  return JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as DrillRecord;
}

describe.skipIf(skip)('the docker backend', () => {
  it('reports no problem under CI (an engine and the images are required there)', async () => {
    expect(await dockerProblem()).toBeUndefined();
  });

  it('`drill images build` run again reuses every image', async () => {
    const res = await drill(['images', 'build']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^reuse drillbook\/debian:bookworm/m);
    expect(res.stdout).toMatch(/^reused drillbook\/app:v1/m);
    expect(res.stdout).not.toMatch(/^(built|build|debootstrap) /m);
  });

  it('runs q1-db-failover, deploy-rollback-docker and redis-failure, measures them, and leaves no container', async () => {
    const { res, dir, summary } = await runDrills([
      'q1-db-failover',
      'deploy-rollback-docker',
      'redis-failure',
      '--backend',
      'docker',
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(summary.backend).toBe('docker');
    expect(summary.drills.map((d) => [d.id, d.status])).toEqual([
      ['q1-db-failover', 'passed'],
      ['deploy-rollback-docker', 'passed'],
      ['redis-failure', 'passed'],
    ]);
    for (const d of summary.drills) {
      expect(d.measured.rtoMs, d.id).toBeGreaterThan(0);
      expect(d.measured.ackedWrites, d.id).toBeGreaterThan(0);
      expect(typeof d.measured.rpoMs, d.id).toBe('number');
    }

    // q1: the standby in its container took over; the record says which backend and which system.
    const q1 = recordOf(dir, 'q1-db-failover');
    expect(q1.estate?.backend).toBe('docker');
    expect(q1.estate?.postgresSystemIdentifier).toMatch(/^\d+$/);
    expect(q1.estate?.images?.postgres).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(ofKind(q1.timeline, 'step').find((s) => s.name === 'promote postgres-standby')).toMatchObject({
      ok: true,
      via: 'runbook-block',
    });
    // The same block as on local moved the endpoint to the standby's container, addressed by role name.
    expect(q1.runbook?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(
      ofKind(q1.timeline, 'step').find((s) => s.name === 'repoint db traffic to postgres-standby')?.output,
    ).toMatch(/"from":"postgres-primary","to":"postgres-standby"/);
    // Every server listens on 5432 in its container: the report states the switchover from the typed event.
    expect(ofKind(q1.timeline, 'switch')).toMatchObject([
      { endpoint: 'db', from: 'postgres-primary', to: 'postgres-standby' },
    ]);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('- Switchover: database endpoint: postgres-primary → postgres-standby');
    expect(md).not.toContain('traffic stayed on');

    // deploy-rollback-docker: v2 rolled out by the runbook's block, the criterion that triggered, back on v1.
    const dr = recordOf(dir, 'deploy-rollback-docker');
    const rollout = ofKind(dr.timeline, 'fault').find((f) => f.state === 'injected');
    expect(rollout?.detail).toMatch(
      /runbook block docker-deploy \(fixtures\/runbook\/deployment-runbook\.md#L\d+\): backend runs \S+:v2/,
    );
    expect(dr.checks.find((c) => c.name === 'rollback decision')?.actual).toMatch(
      /^(health-check|error-rate|latency): .*, \d+ ms after the rollout began$/,
    );
    expect(
      ofKind(dr.timeline, 'step').find((s) => s.name === 'runbook block docker-rollback')?.output,
    ).toMatch(/backend runs \S+:v1/);
    expect(dr.checks.find((c) => c.name === 'release served after the rollback')).toMatchObject({
      passed: true,
      actual: expect.stringMatching(/^v1, X-App-Version: v1 \(GET \/health, HTTP 200\)$/) as unknown,
    });

    // redis-failure: the app degraded without its cache, and the cache's own loss was measured.
    const rf = recordOf(dir, 'redis-failure');
    const check = (name: string) => rf.checks.find((c) => c.name === name);
    expect(check('RedisConnectionFailed condition seen by the app')?.passed).toBe(true);
    expect(check('reads without the cache (degrade or fail)')?.actual).toBe('200, x-cache: bypass');
    expect(rf.criteria.find((c) => c.name === 'cache')?.measured).toMatch(
      /^window [\d.]+ m?s \(\d+ of \d+ acked keys lost/,
    );
    expect(rf.estate?.redisVersion).toMatch(/^7\./);

    expect(leftOnDocker(summary.runId)).toEqual([]);
  });

  it('runs q3-data-corruption and backup-verify: restores onto a spare container, traffic moves to it', async () => {
    const res = await drill([
      'run',
      'q3-data-corruption',
      'backup-verify',
      '--backend',
      'docker',
      '--report-dir',
      tempReportDir(),
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const dir = reportDirOf(res.stdout);
    const summary = readSummary(dir);
    expect(summary.backend).toBe('docker');
    expect(summary.drills.map((d) => [d.id, d.status])).toEqual([
      ['q3-data-corruption', 'passed'],
      ['backup-verify', 'passed'],
    ]);
    for (const d of summary.drills) expect(d.measured.ackedWrites, d.id).toBeGreaterThan(0);

    // q3: recovery stopped before its target on the spare container, which then took the traffic.
    const q3 = recordOf(dir, 'q3-data-corruption');
    expect(q3.estate?.backend).toBe('docker');
    const target = q3.checks.find((c) => c.name === 'restore target vs point reached');
    expect(target?.passed).toBe(true);
    expect(target?.actual).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(q3.checks.find((c) => c.name === 'corruption absent on postgres-restored')).toMatchObject({
      actual: '0',
      passed: true,
    });
    expect(q3.measurements?.rpo?.lostBeforeFault).toBe(0);
    expect(q3.measurements?.rpo?.lostAfterFault).toBeGreaterThan(0);
    const sw = ofKind(q3.timeline, 'step').find(
      (s) => s.name === 'repoint db traffic to the restored server',
    );
    expect(sw).toMatchObject({
      ok: true,
      via: 'runbook-block',
      detail: 'database endpoint now leads to postgres-restored',
    });
    expect(sw?.output).toMatch(/"to":"postgres-restored","target":"127\.0\.0\.1:\d+"/);

    // backup-verify: the scratch container's copy is the primary's system and data at the restore point.
    const bv = recordOf(dir, 'backup-verify');
    expect(bv.checks.map((c) => [c.name, c.passed])).toEqual([
      ['same database system: postgres-scratch vs postgres-primary', true],
      ['seeded data: postgres-scratch vs postgres-primary', true],
      ['canary rows before the restore point: postgres-scratch vs postgres-primary', true],
    ]);
    expect(leftOnDocker(summary.runId)).toEqual([]);
  });

  it('refuses a recovery target beyond the archived WAL on docker too, and removes the spare container', async () => {
    const runId = newRunId();
    const record = await runDrill(q3DataCorruption({ targetOffsetMs: 3_600_000 }), {
      runId,
      backend: 'docker',
      system: projectSystem(),
    });
    expect(drillStatus(record)).toBe('failed');
    const restore = ofKind(record.timeline, 'step').find((s) => s.name === 'runbook block pitr-restore');
    expect(restore?.ok).toBe(false);
    expect(restore?.output).toMatch(/recovery ended before configured recovery target was reached/);
    expect(ofKind(record.timeline, 'step').some((s) => s.name.startsWith('repoint'))).toBe(false);
    expect(record.teardown.leaks).toEqual([]);
    expect(leftOnDocker(runId)).toEqual([]);
  });

  it('q1-db-failover on docker completes within 40 s wall, container starts included', async () => {
    const res = await drill([
      'run',
      'q1-db-failover',
      '--backend',
      'docker',
      '--report-dir',
      tempReportDir(),
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.ms).toBeLessThan(40_000);
    const dir = reportDirOf(res.stdout);
    const p = phaseDurations(recordOf(dir, 'q1-db-failover'));
    expect(p.provision).toBeGreaterThan(0);
    expect(leftOnDocker(readSummary(dir).runId)).toEqual([]);
  });

  it('the lagging failover: async loses the lag’s acknowledged writes (RPO ≈ the lag); sync loses none and reports the stall', async () => {
    const run = await runKept('docker');
    expect(run.drills.map((d) => d.summary.id)).toEqual([...LAGGING]);
    for (const d of run.drills) console.log(assertLagging(d));
    expect(leftOnDocker(run.runId)).toEqual([]);
  });

  it('on SIGINT while the fault is in effect, exits 130 and leaves no container or network', async () => {
    const { res, runId, signalled } = await interruptedAt(
      ['run', 'q1-db-failover', '--backend', 'docker', '--report-dir', tempReportDir()],
      /fault\s+done/,
    );
    expect(signalled).toBe(true);
    expect(res.code).toBe(130);
    expect(leftOnDocker(runId ?? '?')).toEqual([]);
    expect(readSummary(reportDirOf(res.stdout)).drills[0]?.status).toBe('error');
  });

  it('`drill cleanup` removes the containers and network of a run that was SIGKILLed', async () => {
    let runId: string | undefined;
    let killed = false;
    const res = await drill(
      ['run', 'redis-failure', '--backend', 'docker', '--report-dir', tempReportDir()],
      {
        env: { DRILL_PROGRESS: '1' },
        onStdout(out, child) {
          runId ??= /drill run (\S+):/.exec(out)?.[1];
          if (!killed && /steady\s+…/.test(out)) {
            killed = true;
            child.kill('SIGKILL');
          }
        },
      },
    );
    expect(res.code).toBe(null);
    const id = runId ?? '?';
    const left = leftOnDocker(id);
    expect(left.length).toBeGreaterThanOrEqual(4); // postgres, redis, router, app containers and the network
    const cleanup = await drill(['cleanup', '--run', id]);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(cleanup.stdout).toMatch(new RegExp(`remove container \\S+-redis \\(run ${id}\\)`));
    expect(leftOnDocker(id)).toEqual([]);
    expect(labelledProcesses(id)).toEqual([]);
  });
});
