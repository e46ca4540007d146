/**
 * `alerts-fire --backend docker`: Prometheus, Alertmanager and the exporters as containers of the monitoring image
 * on the estate's network, the seven rules fired in their own outages, notified at exactly the promised receivers
 * (which listen on the network's gateway), resolved; nothing left on the engine.
 * Skipped outside CI when there is no engine or no images, saying how to get them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerProblem } from '../../harness/estate/docker/checks.ts';
import { dockerode } from '../../harness/estate/docker/engine.ts';
import { monitoringImageProblem } from '../../harness/estate/docker/monitoring-image.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import { drill, readSummary, reportDirOf, tempReportDir } from '../cli.ts';

const problem = (await dockerProblem()) ?? (await monitoringImageProblem(await dockerode()));
if (problem && !process.env.CI)
  console.warn(
    `skipping alerts-fire on docker: ${problem}. To run it: install Docker (apt-get install docker.io), start ` +
      'it (dockerd &), then `npx drill images build` (it builds the monitoring image too).',
  );

// A notice is dated by its arrival, a state by the watcher's poll of Prometheus (every 375 ms).
const POLL_SLACK_MS = 1000;

const ALERTS = [
  'PodRestartingTooMuch',
  'ServiceDown',
  'RedisConnectionFailed',
  'DatabaseConnectionPoolExhausted',
  'HighErrorRate',
  'HighLatency',
  'DiskSpaceLow',
];

function leftOnDocker(runId: string): string[] {
  const list = (args: string[], format: string) =>
    execFileSync('docker', [...args, '--filter', `label=drillbook.run-id=${runId}`, '--format', format], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
  return [
    ...list(['ps', '-a'], '{{.Names}}'),
    ...list(['network', 'ls'], '{{.Name}}'),
    ...list(['volume', 'ls'], '{{.Name}}'),
  ];
}

describe.skipIf(Boolean(problem) && !process.env.CI)('alerts-fire on the docker backend', () => {
  it('fires every rule in its own outage, notifies exactly the promised receivers, resolves them all', async () => {
    const res = await drill(['run', 'alerts-fire', '--backend', 'docker', '--report-dir', tempReportDir()]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const dir = reportDirOf(res.stdout);
    const summary = readSummary(dir);
    const d = summary.drills[0];
    expect(d?.status).toBe('passed');
    const alerts = d?.alerts ?? [];
    expect(alerts.filter((a) => a.expected).map((a) => a.name)).toEqual(ALERTS);
    for (const a of alerts.filter((x) => x.expected)) {
      expect(a.firedAtMs, a.name).toBeGreaterThanOrEqual(a.expectedAtMs ?? 0);
      expect(a.resolvedAtMs, a.name).toBeGreaterThan(a.firedAtMs ?? Infinity);
      const promised = a.severity === 'critical' ? ['email', 'slack-webhook'] : ['email'];
      expect(a.notified.map((n) => n.receiver).sort(), a.name).toEqual(promised);
      for (const n of a.notified) {
        expect(n.atMs, `${a.name} at ${n.receiver}`).toBeGreaterThanOrEqual(
          (a.firedAtMs ?? Infinity) - POLL_SLACK_MS,
        );
        expect(n.resolvedAtMs, `${a.name} at ${n.receiver}`).toBeGreaterThan(n.atMs ?? Infinity);
      }
    }
    const record = JSON.parse(readFileSync(join(dir, 'alerts-fire.json'), 'utf8')) as DrillRecord;
    const m = record.measurements?.alerts;
    expect(m?.scale).toBe(40);
    expect(m?.ruleSeries).toEqual([]);
    expect(m?.dashboard.every((p) => p.hasData)).toBe(true);
    const tf = record.faultAt ?? 0;
    expect(ofKind(record.timeline, 'alert').filter((e) => e.t < tf && e.state === 'firing')).toEqual([]);
    // The monitoring ran as containers of the monitoring image, and the report says which.
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(report).toMatch(/monitoring up in containers: Prometheus http:\/\/127\.0\.0\.1:\d+/);
    expect(report).toMatch(/Image of monitoring: `drillbook\/monitoring:bookworm@sha256:/);
    expect(leftOnDocker(summary.runId)).toEqual([]);
  }, 600_000);
});
