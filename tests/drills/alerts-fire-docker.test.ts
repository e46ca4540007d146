/**
 * `alerts-fire --backend docker`: Prometheus, Alertmanager and the exporters as containers of the monitoring image
 * on the estate's network, the seven rules fired in their own outages, notified at exactly the promised receivers
 * (which listen on the network's gateway), resolved; nothing left on the engine.
 * Skipped outside CI when there is no engine or no images, saying how to get them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftOnDocker, skipWithoutDocker } from '../docker.ts';
import { dockerode } from '../../harness/estate/docker/engine.ts';
import { monitoringImageProblem } from '../../harness/estate/docker/monitoring-image.ts';
import { drill, readSummary, reportDirOf, tempReportDir } from '../cli.ts';
import { expectEveryRuleFired } from './alerts-fire.ts';

const skip = await skipWithoutDocker('alerts-fire on docker', async () =>
  monitoringImageProblem(await dockerode()),
);

describe.skipIf(skip)('alerts-fire on the docker backend', () => {
  it('fires every rule in its own outage, notifies exactly the promised receivers, resolves them all', async () => {
    const res = await drill(['run', 'alerts-fire', '--backend', 'docker', '--report-dir', tempReportDir()]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const dir = reportDirOf(res.stdout);
    expectEveryRuleFired(dir);
    // The monitoring ran as containers of the monitoring image, and the report says which.
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(report).toMatch(/monitoring up in containers: Prometheus http:\/\/127\.0\.0\.1:\d+/);
    expect(report).toMatch(/Image of monitoring: `drillbook\/monitoring:bookworm@sha256:/);
    expect(leftOnDocker(readSummary(dir).runId)).toEqual([]);
  }, 600_000);
});
