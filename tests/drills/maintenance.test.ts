/**
 * The maintenance drills as a user runs them: `drill run maintenance-daily maintenance-weekly
 * maintenance-monthly`, on local and (with an engine and the images) docker. Each must pass with zero client
 * impact measured (no failed probe, no refused write) and each routine's own verification in the record.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { skipWithoutDocker } from '../docker.ts';
import { findRedisServer } from '../../harness/estate/host/binaries.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import { drill, readSummary, reportDirOf, tempReportDir } from '../cli.ts';

const IDS = ['maintenance-daily', 'maintenance-weekly', 'maintenance-monthly'];

async function runMaintenance(backend: string): Promise<Record<string, DrillRecord>> {
  const res = await drill(['run', ...IDS, '--backend', backend, '--report-dir', tempReportDir()]);
  expect(res.code, res.stdout + res.stderr).toBe(0);
  const dir = reportDirOf(res.stdout);
  const summary = readSummary(dir);
  expect(summary.drills.map((d) => [d.id, d.status])).toEqual(IDS.map((id) => [id, 'passed']));
  expect(labelledProcesses(summary.runId)).toEqual([]);
  return Object.fromEntries(
    IDS.map((id) => [id, JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as DrillRecord]),
  );
}

function assertRoutines(records: Record<string, DrillRecord>): void {
  for (const [id, r] of Object.entries(records)) {
    const impact = r.measurements?.clientImpact;
    expect(impact, id).toBeDefined();
    expect(impact?.failedProbes, id).toBe(0);
    expect(impact?.refusedWrites, id).toBe(0);
    expect(impact?.probes, id).toBeGreaterThan(0);
    expect(impact?.ackedWrites, id).toBeGreaterThan(0);
    expect(r.criteria.find((c) => c.name === 'client-impact')).toMatchObject({ passed: true });
  }
  const said = (id: string, step: string) =>
    ofKind(records[id]?.timeline ?? [], 'step').find((s) => s.name === step)?.detail ?? '';
  expect(said('maintenance-daily', 'runbook block maint-health')).toMatch(/^healthy: .*1 standby streaming$/);
  expect(said('maintenance-daily', 'runbook block maint-session-cleanup')).toMatch(
    /^session cleanup: ended [1-9]\d* sessions .*; none left$/,
  );
  expect(said('maintenance-daily', 'runbook block maint-log-compress')).toMatch(/compressed 5 rotated logs/);
  expect(said('maintenance-daily', 'runbook block maint-analyze')).toMatch(/^analyzed: \d+ tables/);
  expect(records['maintenance-daily']?.checks.every((c) => c.passed)).toBe(true);
  expect(records['maintenance-daily']?.checks.map((c) => c.name)).toEqual([
    'the forgotten session is gone on postgres-primary',
    'every table analyzed in the last 5 minutes (pg_stat_user_tables) on postgres-primary',
    expect.stringMatching(/^restored backup is the same database system/),
  ]);
  expect(said('maintenance-weekly', 'runbook block maint-security-updates')).toMatch(/^security updates: /);
  expect(said('maintenance-weekly', 'runbook block maint-performance-report')).toMatch(
    /^performance report: [1-9]\d* requests in 3 s, p50 <= [\d.]+ ms, p95 <= [\d.]+ ms, p99 <= [\d.]+ ms, error rate 0\.00 %$/,
  );
  expect(said('maintenance-weekly', 'runbook block maint-old-logs')).toMatch(
    /removed 2 logs older than 14 days/,
  );
  expect(records['maintenance-weekly']?.checks).toMatchObject([
    { actual: '0 older than 14 days, 5 kept', passed: true },
  ]);
  expect(said('maintenance-monthly', 'runbook block maint-cert-expiry')).toMatch(/: 8\d days left$/);
  expect(said('maintenance-monthly', 'runbook block maint-resource-audit')).toMatch(
    /^resource audit: disk \d+ %, connections \d+ %, memory \d+ % of their limits$/,
  );
  expect(said('maintenance-monthly', 'runbook block maint-dependency-report')).toMatch(
    /^dependency report: \d+ packages in the lockfile; no advisory data available offline/,
  );
}

const redis = findRedisServer();
describe.skipIf(!redis && !process.env.CI)('maintenance drills on the local backend', () => {
  it('daily, weekly and monthly pass under traffic with zero client impact, each routine verified', async () => {
    assertRoutines(await runMaintenance('local'));
  }, 400_000);
});

const skip = await skipWithoutDocker('the maintenance drills on docker');
describe.skipIf(skip)('maintenance drills on the docker backend', () => {
  it('daily, weekly and monthly pass under traffic with zero client impact, each routine verified', async () => {
    assertRoutines(await runMaintenance('docker'));
  }, 500_000);
});
