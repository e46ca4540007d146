/**
 * `drill checklist --backend docker`: the same checklist against the containers' estate (the checks marked
 * as=postgres run inside the database's container), passing when healthy and failing on exactly the item whose
 * condition a break destroyed. `disk-full` mounts a tmpfs on the host and runs on local only.
 * Skipped outside CI when there is no engine or no images, saying how to get them.
 */
import { describe, expect, it } from 'vitest';
import { leftOnDocker, skipWithoutDocker } from '../docker.ts';
import { missingCapabilities } from '../../harness/estate/backend.ts';
import { backendNamed } from '../../harness/estate/registry.ts';
import { CHECKLIST_BREAKS } from '../../harness/faults/checklist-breaks.ts';
import { assertCaughtOnlyBy, checklist } from './checklist.ts';

const skip = await skipWithoutDocker('the checklist on docker');

describe.skipIf(skip)('drill checklist on the docker backend', () => {
  it('passes on a healthy estate; the as=postgres checks ran inside the database container', async () => {
    const res = await checklist(['--backend', 'docker']);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.json.backend).toBe('docker');
    const by = (id: string) => res.json.items.find((i) => i.id === id);
    for (const i of res.json.items) expect(i.status, JSON.stringify(i)).not.toBe('fail');
    // Paths as the database's container sees them.
    expect(by('check-disk')?.detail).toMatch(/^disk: \/\S+ \d+ % free \(limit 20 %\)$/);
    expect(by('check-disk')?.detail).not.toContain('/tmp/drillbook-');
    expect(by('check-base-backup')?.detail).toMatch(/backup successfully verified/);
    expect(by('check-tls')?.status).toBe('pass');
    expect(res.json.rollout).toBe('started');
    expect(leftOnDocker(res.json.runId)).toEqual([]);
  });

  for (const [name, brk] of Object.entries(CHECKLIST_BREAKS)) {
    if (brk.backends && !brk.backends.includes('docker')) continue;
    // A break of the monitoring runs where the docker backend runs monitoring.
    if (missingCapabilities(backendNamed('docker'), brk.needs ?? []).length) continue;
    it(`--break ${name} fails on ${brk.item} only`, async () => {
      const res = await checklist(['--backend', 'docker', '--break', name]);
      assertCaughtOnlyBy(res, brk.item);
      expect(leftOnDocker(res.json.runId)).toEqual([]);
    });
  }
});
