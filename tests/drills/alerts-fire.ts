/**
 * What `alerts-fire` must show on any backend, read from a run's reports: the seven rules fired in their own
 * outages, after their announcement, each notified at exactly the receivers its severity is routed to and
 * resolved there, at the default time scale, every rule's metrics present and every dashboard panel with data,
 * nothing firing before the fault. Returns the drill's record for the backend's own checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ofKind } from '../../harness/measure/timeline.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import { readSummary } from '../cli.ts';

// A notice is dated by its arrival at the receiver, a state by the watcher's poll of Prometheus (every scrape
// interval, 375 ms): a notice may be dated up to a poll before the state change the watcher saw.
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

export function expectEveryRuleFired(dir: string): DrillRecord {
  const d = readSummary(dir).drills[0];
  expect(d?.status).toBe('passed');
  const alerts = d?.alerts ?? [];
  expect(alerts.filter((a) => a.expected).map((a) => a.name)).toEqual(ALERTS);
  for (const a of alerts.filter((x) => x.expected)) {
    // Measured in this run, in order: announced, fired, notified, resolved.
    expect(a.firedAtMs, a.name).toBeGreaterThanOrEqual(a.expectedAtMs ?? 0);
    expect(a.resolvedAtMs, a.name).toBeGreaterThan(a.firedAtMs ?? Infinity);
    const promised = a.severity === 'critical' ? ['email', 'slack-webhook'] : ['email'];
    expect(a.notified.map((n) => n.receiver).sort(), a.name).toEqual(promised);
    for (const n of a.notified) {
      expect(n.atMs, `${a.name} at ${n.receiver}`).toBeGreaterThanOrEqual(
        (a.firedAtMs ?? Infinity) - POLL_SLACK_MS,
      );
      expect(n.resolvedAtMs, `${a.name} at ${n.receiver}`).toBeGreaterThan(n.atMs ?? Infinity);
      expect(n.resolvedAtMs, `${a.name} at ${n.receiver}`).toBeGreaterThanOrEqual(
        (a.resolvedAtMs ?? Infinity) - POLL_SLACK_MS,
      );
    }
  }
  const record = JSON.parse(readFileSync(join(dir, 'alerts-fire.json'), 'utf8')) as DrillRecord;
  const m = record.measurements?.alerts;
  expect(m?.scale).toBe(40);
  expect(m?.ruleSeries).toEqual([]);
  expect(m?.dashboard.every((p) => p.hasData)).toBe(true);
  // Nothing fired before the fault.
  const tf = record.faultAt ?? 0;
  expect(ofKind(record.timeline, 'alert').filter((e) => e.t < tf && e.state === 'firing')).toEqual([]);
  return record;
}
