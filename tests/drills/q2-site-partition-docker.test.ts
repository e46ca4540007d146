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
import { partitionProblem } from '../../harness/estate/host/partition.ts';
import { leftOnDocker } from '../docker.ts';
import { assertFenceRemovedFails, assertPartitionHeld } from './sites.ts';

const problem = (await dockerProblem()) ?? (await partitionProblem(['INPUT', 'DOCKER-USER']));
if (problem && !process.env.CI)
  console.warn(
    `skipping the docker site-partition drills: ${problem}. To run them: as root with iptables, a Docker ` +
      'engine (apt-get install docker.io; dockerd &) and its images (`npx drill images build`).',
  );
const skip = Boolean(problem) && !process.env.CI;

describe.skipIf(skip)('primary site partitioned on the docker backend', () => {
  it('activates the DR site; after the old site comes back no write lands on it (the fence held)', async () => {
    expect(leftOnDocker(await assertPartitionHeld('docker'))).toEqual([]);
  }, 420_000);

  it('fails the split-brain check, exit 1 naming the fence block, when the runbook does not fence', async () => {
    const runId = await assertFenceRemovedFails('docker');
    expect(leftOnDocker(runId)).toEqual([]);
  }, 420_000);
});
