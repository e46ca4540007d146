/**
 * q2-site-partition on the local backend: the primary site cut off the network, alive (the kernel drops every
 * packet to its ports), the DR site activated by the runbook, then the old site back on the network. The loss
 * is exact against an independent read of the promoted DR database; the split-brain check proves no write
 * lands on the old primary. With the fence removed from a copy of the runbook, the same drill fails (exit 1)
 * naming the fence block's line in that copy. The docker variant is in q2-site-partition-docker.test.ts.
 *
 * Needs root and iptables: outside CI it is skipped with the reason when they are missing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { partitionLeaks, partitionProblem } from '../../harness/estate/host/partition.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { blockOf, loadRunbook } from '../../harness/runbook/markdown.ts';
import { drill, readSummary, reportDirOf, ROOT, tempReportDir } from '../cli.ts';
import { assertSiteFailover, runKeptSites } from './sites.ts';

const problem = await partitionProblem();
if (problem && !process.env.CI)
  console.warn(
    `skipping the local site-partition drills: ${problem}. To run them: run as root with iptables.`,
  );
const skip = Boolean(problem) && !process.env.CI;

const RUNBOOK = join(ROOT, 'fixtures', 'runbook', 'deployment-runbook.md');

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
    const doc = loadRunbook(RUNBOOK, RUNBOOK);
    const fenceLine = blockOf(doc, 'site-fence').line;
    const copy = join(tempReportDir(), 'runbook-without-fence.md');
    const text = readFileSync(RUNBOOK, 'utf8');
    const fence = 'infra fence "$PRIMARY_SITE"\n';
    expect(text).toContain(fence);
    writeFileSync(copy, text.replace(fence, ''));
    const res = await drill([
      'run',
      'q2-site-partition',
      '--backend',
      'local',
      '--runbook',
      copy,
      '--report-dir',
      tempReportDir(),
    ]);
    const out = res.stdout + res.stderr;
    expect(res.code, out).toBe(1);
    expect(out).toMatch(
      new RegExp(
        `split brain: .* [1-9]\\d* of \\d+ acknowledged; running at site-primary: postgres-primary.*The fence \\(runbook block site-fence, ${copy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#L${fenceLine}\\) did not hold`,
      ),
    );
    const summary = readSummary(reportDirOf(res.stdout));
    expect(summary.drills[0]?.status).toBe('failed');
    // Everything the drill started is gone, the cut network healed, though it failed.
    expect(labelledProcesses(summary.runId)).toEqual([]);
    expect(await partitionLeaks(summary.runId)).toEqual([]);
  }, 240_000);
});
