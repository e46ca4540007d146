import { describe, expect, it } from 'vitest';
import { alertProblems, alertsSettled, measureAlerts, type AlertsMeasurement } from './alerts.ts';
import type { AlertEvent } from './timeline.ts';

const routing = { critical: ['slack-webhook', 'email'], warning: ['email'] };
const severities = { ServiceDown: 'critical', DiskSpaceLow: 'warning' };
const ev = (
  t: number,
  name: string,
  state: AlertEvent['state'],
  more: Partial<AlertEvent> = {},
): AlertEvent => ({
  kind: 'alert',
  t,
  name,
  state,
  ...more,
});
const notice = (t: number, name: string, receiver: string, status: 'firing' | 'resolved') =>
  ev(t, name, 'notified', { receiver, status });

describe('measureAlerts', () => {
  const complete = [
    ev(1500, 'ServiceDown', 'pending'),
    ev(3000, 'ServiceDown', 'firing'),
    notice(3800, 'ServiceDown', 'slack-webhook', 'firing'),
    notice(3900, 'ServiceDown', 'email', 'firing'),
    ev(9000, 'ServiceDown', 'resolved'),
    notice(12_000, 'ServiceDown', 'slack-webhook', 'resolved'),
    notice(12_100, 'ServiceDown', 'email', 'resolved'),
  ];
  it('measures pending, firing, each notice and resolution relative to t_f', () => {
    const [r] = measureAlerts(complete, {
      faultAt: 1000,
      expected: [{ name: 'ServiceDown' }],
      routing,
      severities,
    });
    expect(r).toEqual({
      name: 'ServiceDown',
      severity: 'critical',
      expected: true,
      expectation: 'fires',
      pendingAtMs: 500,
      firedAtMs: 2000,
      resolvedAtMs: 8000,
      notified: [
        { receiver: 'slack-webhook', atMs: 2800, resolvedAtMs: 11_000 },
        { receiver: 'email', atMs: 2900, resolvedAtMs: 11_100 },
      ],
      problems: [],
    });
    expect(alertsSettled([r!], routing)).toBe(true);
  });
  it('passes a must-not-page alert that only went pending, and fails one that fired or paged', () => {
    const blip = [ev(1200, 'ServiceDown', 'pending')];
    const [quiet] = measureAlerts(blip, {
      faultAt: 1000,
      expected: [{ name: 'ServiceDown', kind: 'must-not-page' }],
      routing,
      severities,
    });
    expect(quiet).toMatchObject({
      expected: false,
      expectation: 'must-not-page',
      pendingAtMs: 200,
      problems: [],
    });
    // Nothing to wait for: a must-not-page alert does not hold the recovery up.
    expect(alertsSettled([quiet!], routing)).toBe(true);
    const [paged] = measureAlerts(complete, {
      faultAt: 1000,
      expected: [{ name: 'ServiceDown', kind: 'must-not-page' }],
      routing,
      severities,
    });
    expect(paged!.problems).toEqual([
      'alert ServiceDown fired at 2000 ms after the fault, during an outage the drill expects to be shorter than its `for`: it must not page',
      'alert ServiceDown paged receiver slack-webhook, and must not page for this outage',
      'alert ServiceDown paged receiver email, and must not page for this outage',
    ]);
  });
  it('fails an expected alert that never fired, naming the rule', () => {
    const rs = measureAlerts([], { faultAt: 0, expected: [{ name: 'DiskSpaceLow' }], routing, severities });
    expect(rs[0]!.problems).toEqual(['expected alert DiskSpaceLow never fired']);
    expect(alertsSettled(rs, routing)).toBe(false);
  });
  it('fails a notice at a receiver the routing does not promise, and a missing one', () => {
    const rs = measureAlerts(
      [
        ev(10, 'DiskSpaceLow', 'firing'),
        notice(20, 'DiskSpaceLow', 'slack-webhook', 'firing'),
        ev(30, 'DiskSpaceLow', 'resolved'),
      ],
      { faultAt: 0, expected: [{ name: 'DiskSpaceLow' }], routing, severities },
    );
    expect(rs[0]!.problems).toEqual([
      'alert DiskSpaceLow (warning) never reached receiver email',
      'alert DiskSpaceLow (warning) was notified at receiver slack-webhook, which the routing does not promise (email)',
    ]);
  });
  it('fails an alert firing in the steady state (a false positive)', () => {
    const rs = measureAlerts([ev(500, 'ServiceDown', 'firing'), ev(700, 'ServiceDown', 'resolved')], {
      faultAt: 1000,
      expected: [],
      routing,
      severities,
    });
    expect(rs[0]!.problems).toEqual([
      'alert ServiceDown fired in the steady state, before the fault (a false positive)',
    ]);
  });
  it('measures an announced alert from its own stage, not from an earlier episode', () => {
    const rs = measureAlerts(
      [
        ev(2000, 'ServiceDown', 'firing'),
        ev(3000, 'ServiceDown', 'resolved'),
        ev(40_000, 'ServiceDown', 'expected'),
        ...complete.map((e) => ({ ...e, t: e.t + 40_000 })),
      ],
      { faultAt: 1000, expected: [{ name: 'ServiceDown' }], routing, severities },
    );
    expect(rs[0]).toMatchObject({
      expectedAtMs: 39_000,
      firedAtMs: 42_000,
      resolvedAtMs: 48_000,
      problems: [],
    });
  });
  it("leaves out a notice of an earlier episode, sent before this episode's firing", () => {
    const rs = measureAlerts(
      [
        ev(10_000, 'ServiceDown', 'expected'),
        notice(10_500, 'ServiceDown', 'email', 'firing'),
        ev(20_000, 'ServiceDown', 'firing'),
        notice(19_800, 'ServiceDown', 'email', 'firing'),
      ],
      {
        faultAt: 0,
        expected: [{ name: 'ServiceDown' }],
        routing: { critical: ['email'] },
        severities,
        pollMs: 400,
      },
    );
    expect(rs[0]!.notified).toEqual([{ receiver: 'email', atMs: 19_800 }]);
  });
  it('alertProblems adds rules without series and panels without data', () => {
    const m: AlertsMeasurement = {
      scale: 40,
      files: { rules: 'r', alertmanager: 'a', dashboard: 'd' },
      rules: [],
      routeTiming: {},
      routing,
      alerts: [],
      ruleSeries: [{ rule: 'HighLatency', missing: ['http_request_duration_seconds_bucket{job="app"}'] }],
      dashboard: [
        { panel: 'p95', expr: 'x', hasData: false },
        { panel: 'redis', expr: 'y', hasData: false, skipped: 'no redis' },
      ],
    };
    expect(alertProblems(m)).toEqual([
      'rule HighLatency selects no series in the live Prometheus before the fault: http_request_duration_seconds_bucket{job="app"}',
      'dashboard panel "p95" returned no data during the drill: x',
    ]);
  });
});
