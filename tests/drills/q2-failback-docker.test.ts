/**
 * q2-failback on the docker backend: after the DR activation, the primary site's database rebuilt from the DR
 * database by pg_rewind in a helper container that mounts its data directory (the server's own container is
 * stopped), replicating back through the router's link between the sites, then the planned switchover home
 * under live traffic. No acknowledged write is lost, checked against an independent read of the canary rows on
 * the primary site's database of the kept estate; the switchover's downtime is measured from live traffic;
 * nothing of the run is left on Docker.
 *
 * Without a Docker engine, its images or root this is skipped with the reason, except under CI (CI set).
 */
import { describe, expect, it } from 'vitest';
import { dockerProblem } from '../../harness/estate/docker/checks.ts';
import { leftOnDocker } from '../docker.ts';
import { assertFailback } from './sites.ts';

const problem =
  (await dockerProblem()) ??
  (process.getuid?.() === 0
    ? undefined
    : 'the data directories a failback rebuilds are host directories given to the image’s postgres account: root only');
if (problem && !process.env.CI)
  console.warn(
    `skipping the docker failback drill: ${problem}. To run it: as root, a Docker engine (apt-get install ` +
      'docker.io; dockerd &) and its images (`npx drill images build`).',
  );
const skip = Boolean(problem) && !process.env.CI;

describe.skipIf(skip)('failback on the docker backend', () => {
  it('rebuilds the primary site by pg_rewind in a helper container and comes home with no acked write lost', async () => {
    expect(leftOnDocker(await assertFailback('docker'))).toEqual([]);
  }, 420_000);
});
