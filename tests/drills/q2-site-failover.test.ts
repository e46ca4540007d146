/**
 * q2-site-failover on the local backend, with WAL shipped every 2 s and every 6 s: the whole primary site lost,
 * the DR site activated by the runbook's DR scenario 2. The loss is exact against an independent read of the
 * promoted DR database's canary rows, and its window moves with archive_timeout. The docker variant is in
 * docker.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { assertSiteFailover, runKeptSites } from './sites.ts';

describe('complete site failure on the local backend', () => {
  it('loses exactly the acked writes after the last shipped segment; the window moves with archive_timeout', async () => {
    const run = await runKeptSites('local', ['q2-site-failover', 'q2-site-failover-archive-6s']);
    expect(run.drills.map((d) => d.summary.id)).toEqual(['q2-site-failover', 'q2-site-failover-archive-6s']);
    const [fast, slow] = run.drills.map((d) => assertSiteFailover(d));
    for (const r of [fast, slow]) console.log(r?.line);
    // The fault struck half of (archive_timeout − 1 s) after a shipment: 0.5 s and 2.5 s.
    expect((slow?.lossWindowMs ?? 0) - (fast?.lossWindowMs ?? 0)).toBeGreaterThan(1500);
    expect(labelledProcesses(run.runId)).toEqual([]);
  }, 240_000);
});
