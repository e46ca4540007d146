/**
 * q2-site-partition on the local backend: the primary site cut off the network, alive (the kernel drops every
 * packet to its ports), the DR site activated by the runbook, then the old site back on the network. The loss
 * is exact against an independent read of the promoted DR database; the split-brain check proves no write
 * lands on the old primary. With the fence removed from a copy of the runbook, the same drill fails (exit 1)
 * naming the fence block's line in that copy. The docker variant is in q2-site-partition-docker.test.ts.
 *
 * Needs root and iptables: outside CI it is skipped with the reason when they are missing.
 */
import { describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { partitionLeaks, partitionProblem } from '../../harness/estate/host/partition.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { assertFenceRemovedFails, assertSiteFailover, runKeptSites } from './sites.ts';

const problem = await partitionProblem();
if (problem && !process.env.CI)
  console.warn(
    `skipping the local site-partition drills: ${problem}. To run them: run as root with iptables.`,
  );
const skip = Boolean(problem) && !process.env.CI;

describe.skipIf(skip)('primary site partitioned on the local backend', () => {
  it('activates the DR site; after the old site comes back no write lands on it (the fence held)', async () => {
    const run = await runKeptSites('local', ['q2-site-partition']);
    const d = run.drills[0];
    if (!d) throw new Error('no drill in the run');
    console.log(assertSiteFailover(d).line);
    const steps = ofKind(d.record.timeline, 'step').filter((e) => e.phase === 'procedure');
    // The runbook's seven blocks, then the site back on the network, then the split-brain check.
    expect(steps.slice(-2).map((s) => s.name)).toEqual([
      'the primary site comes back (its network whole again)',
      'split-brain check: no client write lands on the old site',
    ]);
    const check = steps.at(-1);
    expect(check?.detail).toMatch(
      /^the fence held: a client holding the old addresses tried (\d+) writes straight to postgres-primary .*: 0 of \1 acknowledged .*running at site-primary: nothing$/,
    );
    expect(steps.at(-2)?.detail).toMatch(/running there: nothing$/);
    expect(labelledProcesses(run.runId)).toEqual([]);
    expect(await partitionLeaks(run.runId)).toEqual([]);
  }, 240_000);

  it('fails the split-brain check, exit 1 naming the fence block, when the runbook does not fence', async () => {
    await assertFenceRemovedFails('local');
  }, 240_000);
});
