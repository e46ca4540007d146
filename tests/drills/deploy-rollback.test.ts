/**
 * deploy-rollback on the local backend for the demo: release v2 rolled out by the runbook's deployment block,
 * judged by the rollback decision criteria on the data path its config declares (`data.probe`), v1 deployed
 * again. The same scenario runs the inventory example (tests/drills/own-system-data.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import { runDrills } from '../cli.ts';

describe('deploy-rollback on local (the demo)', () => {
  it('rolls the bad release back and recovers on the data path the config declares', async () => {
    const { res, dir, summary } = await runDrills(['deploy-rollback', '--backend', 'local']);
    expect(res.stderr).toBe('');
    const d = summary.drills[0];
    console.log(
      `demo deploy-rollback (local, under load): rto=${d?.measured.rtoMs} ms rpo=${d?.measured.rpoMs} ms acked=${d?.measured.ackedWrites}`,
    );
    expect(res.code).toBe(0);
    expect(d?.status).toBe('passed');
    expect(d?.measured.rtoMs).toBeGreaterThan(0);
    const record = JSON.parse(readFileSync(join(dir, 'deploy-rollback.json'), 'utf8')) as DrillRecord;
    expect(record.settings.probePath).toBe('/orders?limit=1');
    expect(record.checks.find((c) => c.name === 'rollback decision')?.actual).toMatch(
      /^(health-check|error-rate|latency): /,
    );
    expect(labelledProcesses(summary.runId)).toEqual([]);
  }, 300_000);
});
