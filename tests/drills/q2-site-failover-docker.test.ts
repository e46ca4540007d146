/**
 * q2-site-failover (warm DR app) and q2-site-failover-cold on the docker backend: each site its own network,
 * the whole primary site's containers killed at once. The loss is exact against an independent read of the
 * promoted DR database's canary rows; nothing of the run is left on Docker.
 *
 * Without a Docker engine or without the images this is skipped with the reason and how to get them, except
 * under CI (CI set), where a missing engine or image is a failure.
 */
import { describe, expect, it } from 'vitest';
import { leftOnDocker, skipWithoutDocker } from '../docker.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { assertSiteFailover, runKeptSites } from './sites.ts';

const skip = await skipWithoutDocker('the docker site-failure drills');

describe.skipIf(skip)('complete site failure on the docker backend', () => {
  it('activates the DR site (warm and cold app), loses exactly the acked writes after the last shipped segment', async () => {
    const run = await runKeptSites('docker', ['q2-site-failover', 'q2-site-failover-cold']);
    expect(run.drills.map((d) => d.summary.id)).toEqual(['q2-site-failover', 'q2-site-failover-cold']);
    for (const d of run.drills) console.log(assertSiteFailover(d).line);
    // The cold DR app was started by the runbook's block, not before.
    const cold = run.drills[1]?.record;
    expect(cold?.settings.sites?.drApp).toBe('cold');
    expect(ofKind(cold?.timeline ?? [], 'step').map((s) => s.name)).toContain('start app-dr (cold)');
    expect(leftOnDocker(run.runId)).toEqual([]);
    expect(labelledProcesses(run.runId)).toEqual([]);
  }, 400_000);
});
