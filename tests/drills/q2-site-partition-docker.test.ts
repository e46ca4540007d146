/**
 * q2-site-partition on the docker backend: the primary site's containers cut off, alive (every packet to or
 * from their addresses dropped in DOCKER-USER, their published ports dropped on the loopback interface), the DR
 * site activated by the runbook, then the old site back on the network. The loss is exact against an
 * independent read of the promoted DR database; the split-brain check proves no write lands on the old primary.
 * With the fence removed from a copy of the runbook, the same drill fails (exit 1) naming the fence block's
 * line in that copy. Nothing of the run is left: containers, networks, volumes, packet filters.
 *
 * Needs a Docker engine with the images, root and iptables: outside CI it is skipped with the reason.
 */
import { describe, expect, it } from 'vitest';
import { dockerProblem } from '../../harness/estate/docker/checks.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { partitionLeaks, partitionProblem } from '../../harness/estate/host/partition.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { leftOnDocker } from '../docker.ts';
import { assertFenceRemovedFails, assertSiteFailover, runKeptSites } from './sites.ts';

const problem = (await dockerProblem()) ?? (await partitionProblem(['INPUT', 'DOCKER-USER']));
if (problem && !process.env.CI)
  console.warn(
    `skipping the docker site-partition drills: ${problem}. To run them: as root with iptables, a Docker ` +
      'engine (apt-get install docker.io; dockerd &) and its images (`npx drill images build`).',
  );
const skip = Boolean(problem) && !process.env.CI;

describe.skipIf(skip)('primary site partitioned on the docker backend', () => {
  it('activates the DR site; after the old site comes back no write lands on it (the fence held)', async () => {
    const run = await runKeptSites('docker', ['q2-site-partition']);
    const d = run.drills[0];
    if (!d) throw new Error('no drill in the run');
    console.log(assertSiteFailover(d).line);
    const steps = ofKind(d.record.timeline, 'step').filter((e) => e.phase === 'procedure');
    expect(steps.slice(-2).map((s) => s.name)).toEqual([
      'the primary site comes back (its network whole again)',
      'split-brain check: no client write lands on the old site',
    ]);
    const check = steps.at(-1);
    // Fenced: the containers were stopped, so their published ports refuse.
    expect(check?.detail).toMatch(
      /^the fence held: a client holding the old addresses tried (\d+) writes straight to postgres-primary .*: 0 of \1 acknowledged \(ECONNREFUSED\); running at site-primary: nothing$/,
    );
    expect(steps.at(-2)?.detail).toMatch(/running there: nothing$/);
    expect(leftOnDocker(run.runId)).toEqual([]);
    expect(labelledProcesses(run.runId)).toEqual([]);
    expect(await partitionLeaks(run.runId)).toEqual([]);
  }, 420_000);

  it('fails the split-brain check, exit 1 naming the fence block, when the runbook does not fence', async () => {
    const runId = await assertFenceRemovedFails('docker');
    expect(leftOnDocker(runId)).toEqual([]);
  }, 420_000);
});
