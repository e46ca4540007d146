/**
 * q1-db-failover-lagging and -lagging-sync on the local backend: the standby behind when the primary dies.
 * Async loses the acknowledged writes of the lag, sync loses none and pays with a commit stall. The docker
 * variant is in docker.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { assertLagging, LAGGING, runKept } from './lagging.ts';

describe('the lagging failover on the local backend', () => {
  it('async loses the lag’s acknowledged writes (RPO ≈ the lag); sync loses none and reports the stall', async () => {
    const run = await runKept('local');
    expect(run.drills.map((d) => d.summary.id)).toEqual([...LAGGING]);
    for (const d of run.drills) console.log(assertLagging(d));
    expect(labelledProcesses(run.runId)).toEqual([]);
  });
});
