/**
 * q4-full-exercise on the docker backend: every stage of the plan on one two-site docker estate (each site its
 * own network), the corruption recovery restoring onto a spare server container at the site serving the
 * database. Each stage is judged from its own traffic and canaries; nothing of the run is left on Docker.
 *
 * Without a Docker engine or without the images this is skipped with the reason and how to get them, except
 * under CI (CI set), where a missing engine or image is a failure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import { Q4_STAGES } from '../../scenarios/q4-full-exercise.ts';
import { interruptedAt, readSummary, reportDirOf, runDrills, tempReportDir } from '../cli.ts';
import { leftOnDocker, skipWithoutDocker } from '../docker.ts';

const skip = await skipWithoutDocker('the docker full DR exercise');

describe.skipIf(skip)('the full DR exercise (docker)', () => {
  it('passes every stage on one two-site docker estate, restores onto a spare container, leaves nothing', async () => {
    const { res, dir, summary } = await runDrills(['q4-full-exercise', '--backend', 'docker']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(dir, 'q4-full-exercise.json'), 'utf8')) as DrillRecord;
    const ids = Q4_STAGES.map((s) => s.id);
    expect(res.stdout).toMatch(
      new RegExp(`^PASSED q4-full-exercise stages=${ids.length}/${ids.length}-passed `, 'm'),
    );
    const stages = summary.drills[0]?.stages ?? [];
    expect(stages.map((s) => [s.id, s.status])).toEqual(ids.map((id) => [id, 'passed']));
    for (const s of stages) {
      // Each stage's fault was seen by its own clients and recovered from within its objective.
      expect(s.measured.rtoMs, s.id).toBeGreaterThan(0);
      expect(s.measured.rtoMs ?? Infinity, s.id).toBeLessThan(s.objectives.rtoMs ?? 0);
      expect(s.measured.ackedWrites, s.id).toBeGreaterThan(0);
    }
    expect(stages.find((s) => s.id === 'q2-failback')?.measured.lostAckedWrites).toBe(0);
    // The corruption was repaired by the spare server the two-site docker estate now has.
    const switches = ofKind(record.timeline, 'switch').map((e) => `${e.from}→${e.to}`);
    expect(switches.filter((s) => s.endsWith('→postgres-restored'))).toHaveLength(1);
    expect(
      ofKind(record.timeline, 'note').filter((n) => /idle container \S+-postgres-restored /.test(n.message)),
    ).toHaveLength(1);
    expect(record.teardown.leaks).toEqual([]);
    expect(record.criteria.find((c) => c.name === 'cleanup')?.passed).toBe(true);
    expect(leftOnDocker(summary.runId)).toEqual([]);
    expect(labelledProcesses(summary.runId)).toEqual([]);
  }, 600_000);
});

describe.skipIf(skip)('Ctrl-C in the middle of a later stage (docker)', () => {
  it('stops in that stage, records the earlier stages and the unrun ones, and leaves nothing on Docker', async () => {
    // Stage 3's recovery is under way: a spare server container is being made at the home site.
    const { res, runId, signalled } = await interruptedAt(
      ['run', 'q4-full-exercise', '--backend', 'docker', '--report-dir', tempReportDir()],
      /q3-data-corruption {2}procedure …/,
    );
    expect(signalled).toBe(true);
    expect(res.code).toBe(130);
    const dir = reportDirOf(res.stdout);
    const record = JSON.parse(readFileSync(join(dir, 'q4-full-exercise.json'), 'utf8')) as DrillRecord;
    expect(record.error).toMatchObject({ aborted: true });
    const stages = readSummary(dir).drills[0]?.stages ?? [];
    const at = stages.findIndex((s) => s.id === 'q3-data-corruption');
    expect(stages.slice(0, at).every((s) => s.status === 'passed')).toBe(true);
    expect(stages[at]?.status).toBe('error');
    expect(stages.slice(at + 1).every((s) => s.status === 'not run')).toBe(true);
    expect(record.teardown.leaks).toEqual([]);
    expect(record.teardown.results.filter((r) => !r.ok)).toEqual([]);
    expect(leftOnDocker(runId ?? '?')).toEqual([]);
    expect(labelledProcesses(runId ?? '?')).toEqual([]);
  }, 600_000);
});
