/**
 * q2-site-partition on the local backend: the primary site cut off the network, alive (the kernel drops every
 * packet to its ports), the DR site activated by the runbook, then the old site back on the network. The loss
 * is exact against an independent read of the promoted DR database; the split-brain check proves no write
 * lands on the old primary. With the fence removed from a copy of the runbook, the same drill fails (exit 1)
 * naming the fence block's line in that copy. The docker variant is in q2-site-partition-docker.test.ts.
 *
 * Needs root and iptables: outside CI it is skipped with the reason when they are missing.
 */
import { describe, it } from 'vitest';
import { partitionProblem } from '../../harness/estate/host/partition.ts';
import { assertFenceRemovedFails, assertPartitionHeld } from './sites.ts';

const problem = await partitionProblem();
if (problem && !process.env.CI)
  console.warn(
    `skipping the local site-partition drills: ${problem}. To run them: run as root with iptables.`,
  );
const skip = Boolean(problem) && !process.env.CI;

describe.skipIf(skip)('primary site partitioned on the local backend', () => {
  it('activates the DR site; after the old site comes back no write lands on it (the fence held)', async () => {
    await assertPartitionHeld('local');
  }, 240_000);

  it('fails the split-brain check, exit 1 naming the fence block, when the runbook does not fence', async () => {
    await assertFenceRemovedFails('local');
  }, 240_000);
});
