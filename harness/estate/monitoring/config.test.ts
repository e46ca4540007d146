import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  alertmanagerForDrill,
  alertRules,
  DEFAULT_ALERTMANAGER_FILE,
  DEFAULT_RULES_FILE,
  formatPromDuration,
  promDurationMs,
  scaleDuration,
  scaleExpr,
  scaleRules,
  selectors,
} from './config.ts';
import { parseAlertMail } from './receivers.ts';

const rulesText = readFileSync(DEFAULT_RULES_FILE, 'utf8');
const amText = readFileSync(DEFAULT_ALERTMANAGER_FILE, 'utf8');

describe('Prometheus durations', () => {
  it('parse and format', () => {
    expect(promDurationMs('1h30m')).toBe(5_400_000);
    expect(promDurationMs('500ms')).toBe(500);
    expect(formatPromDuration(7500)).toBe('7500ms');
    expect(formatPromDuration(90_000)).toBe('90s');
    expect(() => promDurationMs('5 minutes')).toThrow(/not a Prometheus duration/);
  });
  it('scale by division, zero stays zero', () => {
    expect(scaleDuration('5m', 40)).toBe('7500ms');
    expect(scaleDuration('1h', 40)).toBe('90s');
    expect(scaleDuration('0m', 40)).toBe('0s');
    expect(scaleDuration('4h', 1)).toBe('4h');
  });
});

describe('scaleExpr', () => {
  it('scales range windows, subqueries and offsets, not strings', () => {
    expect(scaleExpr('rate(x{s=~"5[0-9]{2}"}[5m:30s]) offset 1h', 60)).toBe(
      'rate(x{s=~"5[0-9]{2}"}[5s:500ms]) offset 1m',
    );
    expect(scaleExpr('changes(process_start_time_seconds{job="app"}[1h]) > 5', 40)).toBe(
      'changes(process_start_time_seconds{job="app"}[90s]) > 5',
    );
  });
});

describe('the scaled rules', () => {
  it('divide every for and window, keep thresholds, names, labels and annotations', () => {
    const scaled = parse(scaleRules(rulesText, 'rules.yml', 40)) as {
      groups: {
        rules: { alert: string; for: string; expr: string; labels: unknown; annotations: unknown }[];
      }[];
    };
    const orig = parse(rulesText) as typeof scaled;
    const a = orig.groups[0]!.rules;
    const b = scaled.groups[0]!.rules;
    expect(b.map((r) => r.alert)).toEqual(a.map((r) => r.alert));
    for (const [i, r] of a.entries()) {
      expect(b[i]!.for).toBe(scaleDuration(r.for, 40));
      expect(b[i]!.labels).toEqual(r.labels);
      expect(b[i]!.annotations).toEqual(r.annotations);
      expect(b[i]!.expr.replace(/\[[^[\]]+\]/g, '[]')).toBe(r.expr.replace(/\[[^[\]]+\]/g, '[]'));
    }
    expect(b.find((r) => r.alert === 'HighErrorRate')!.expr).toContain('[7500ms]');
  });
  it('reads every rule with its severity and unscaled for', () => {
    const rules = alertRules(rulesText, 'rules.yml', 40);
    expect(rules.map((r) => `${r.name}:${r.severity}:${r.for}:${r.scaledFor}`)).toContain(
      'ServiceDown:critical:1m:1500ms',
    );
    expect(rules).toHaveLength(7);
  });
  it('names the file and line of YAML that does not parse', () => {
    expect(() => alertRules('groups:\n  - name: x\n    rules: [\n', 'bad.yml')).toThrow(/^bad\.yml:\d+: /);
  });
});

describe('the Alertmanager copy a drill runs', () => {
  it("sends to the drill's receivers only, and scales the route's timing", () => {
    const { yaml, receivers } = alertmanagerForDrill(amText, 'am.yml', { smtp: 2600, webhook: 5100 }, 40);
    const doc = parse(yaml) as {
      global: { smtp_smarthost: string };
      route: { group_wait: string; group_interval: string; repeat_interval: string; group_by: string[] };
      receivers: { name: string; webhook_configs?: { url: string }[] }[];
    };
    expect(doc.global.smtp_smarthost).toBe('127.0.0.1:2600');
    expect(doc.route).toMatchObject({ group_wait: '750ms', group_interval: '7500ms', repeat_interval: '6m' });
    expect(doc.route.group_by).toEqual(['alertname', 'severity']);
    expect(doc.receivers.find((r) => r.name === 'slack-webhook')!.webhook_configs![0]!.url).toBe(
      'http://127.0.0.1:5100/slack-webhook',
    );
    expect(receivers).toEqual([
      { name: 'email', emailTo: ['oncall@drillbook.invalid'], webhook: false },
      { name: 'slack-webhook', emailTo: [], webhook: true },
    ]);
  });
  it('refuses a receiver that would send off the machine', () => {
    const text = amText.replace(
      'webhook_configs:',
      "slack_configs:\n      - api_url: 'https://hooks.example/x'\n    webhook_configs:",
    );
    expect(() => alertmanagerForDrill(text, 'am.yml', { smtp: 1, webhook: 2 }, 1)).toThrow(
      /am\.yml: receiver "slack-webhook" has slack_configs, which would send off this machine/,
    );
  });
});

describe('selectors', () => {
  it('finds the vector selectors of every rule, not functions, keywords or label lists', () => {
    const rules = alertRules(rulesText, 'rules.yml');
    const of = (n: string) => selectors(rules.find((r) => r.name === n)!.expr);
    expect(of('RedisConnectionFailed')).toEqual([
      'redis_connected{job="app"}',
      'up{job="redis"}',
      'redis_up{job="redis"}',
    ]);
    expect(of('HighLatency')).toEqual(['http_request_duration_seconds_bucket{job="app",route!="/metrics"}']);
  });
});

describe('parseAlertMail', () => {
  it('reads the status from the subject and the rules from the body', () => {
    const raw =
      'Subject: [RESOLVED] HighLatency warning\r\nTo: x\r\n\r\n<li>alertname =3D HighLatency</li>=\r\n<li>severity</li>';
    expect(parseAlertMail(raw)).toEqual({
      status: 'resolved',
      alerts: [{ name: 'HighLatency', status: 'resolved' }],
    });
    expect(parseAlertMail('Subject: [FIRING:1] ServiceDown critical\r\n\r\nno labels')).toEqual({
      status: 'firing',
      alerts: [{ name: 'ServiceDown', status: 'firing' }],
    });
  });
});
