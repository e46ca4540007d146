/**
 * The monitoring configuration under test, read and derived as data: the rules file and the Alertmanager file
 * the user points at (the fixtures by default), the copies a live drill runs (scaled in time by
 * `--alert-time-scale`, the receivers' real ports substituted), and the Prometheus configuration that scrapes
 * the estate. Pure functions of text: the files a user gave are never edited, only read.
 */
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { UsageError } from '../../core/errors.ts';
import { PROJECT_ROOT } from '../host/project-root.ts';

const FIXTURES = join(PROJECT_ROOT, 'fixtures', 'monitoring');
export const DEFAULT_RULES_FILE = join(FIXTURES, 'rules.yml');
export const DEFAULT_ALERTMANAGER_FILE = join(FIXTURES, 'alertmanager.yml');
export const DEFAULT_DASHBOARD_FILE = join(FIXTURES, 'dashboard.json');

/**
 * The scrape and rule-evaluation interval the files are meant for when unscaled (Prometheus's usual 15 s, the
 * sample spacing of the offline `promtool test rules`), and Prometheus's default resend delay of firing
 * alerts to Alertmanager (1 m). Both are scaled with the rest.
 */
/** postgres_exporter's scrape interval, unscaled (its queries are slow; no rule reads it). */
export const POSTGRES_SCRAPE_INTERVAL = '1m';
export const UNSCALED_SCRAPE_INTERVAL = '15s';
export const UNSCALED_RESEND_DELAY = '1m';

/**
 * Default `--alert-time-scale`: every duration of the rules and the routing divided by 40 (1 m becomes 1.5 s,
 * 5 m 7.5 s, 1 h 90 s, the 15 s scrape 375 ms), so that `alerts-fire` runs all seven rules within 3 minutes
 * while a scrape is still several times longer than the demo app takes to answer one under load.
 */
export const DEFAULT_ALERT_TIME_SCALE = 40;

/** What the user points a drill at (`--rules`, `--alertmanager-config`, `--dashboard`, `--alert-time-scale`). */
export interface MonitoringSettings {
  rulesFile: string;
  alertmanagerFile: string;
  dashboardFile: string;
  /** Durations are divided by it (1: real time). */
  scale: number;
  /** The scale came from `--alert-time-scale` (it then wins over a drill's own `alerts.timeScale`). */
  scaleGiven?: boolean;
}

export function defaultMonitoringSettings(): MonitoringSettings {
  return {
    rulesFile: DEFAULT_RULES_FILE,
    alertmanagerFile: DEFAULT_ALERTMANAGER_FILE,
    dashboardFile: DEFAULT_DASHBOARD_FILE,
    scale: DEFAULT_ALERT_TIME_SCALE,
  };
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};
const DURATION = /^(?:\d+(?:ms|[smhdwy]))+$/;
// Sticky: each part starts where the previous ended (the whole was checked with DURATION).
const PART = /(\d+)(ms|[smhdwy])/gy;

/** A Prometheus/Alertmanager duration ("1h30m", "5m", "500ms", "0s") in ms. */
export function promDurationMs(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  if (!DURATION.test(s)) throw new UsageError(`not a Prometheus duration: ${JSON.stringify(text)}`);
  let total = 0;
  for (const m of s.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return total;
}

/** ms as the shortest Prometheus duration that states it exactly (whole ms; at least 1 ms unless zero). */
export function formatPromDuration(ms: number): string {
  const whole = Math.round(ms);
  if (whole === 0) return '0s';
  if (whole % 3_600_000 === 0) return `${whole / 3_600_000}h`;
  if (whole % 60_000 === 0) return `${whole / 60_000}m`;
  if (whole % 1000 === 0) return `${whole / 1000}s`;
  return `${whole}ms`;
}

/** A duration divided by the scale; a non-zero one stays at least 1 ms. */
export function scaleDuration(text: string, scale: number): string {
  const ms = promDurationMs(text);
  return formatPromDuration(ms === 0 ? 0 : Math.max(1, ms / scale));
}

/**
 * Every duration written in a PromQL expression divided by the scale: range windows `[5m]`, subqueries
 * `[5m:1m]` and `offset 5m`. Quoted strings (label values, regexes such as `"5[0-9]{2}"`) are left alone.
 */
export function scaleExpr(expr: string, scale: number): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === '\\' && c !== '`' ? 2 : 1;
      out += expr.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const rest = expr.slice(i);
    const range = /^\[\s*([0-9a-z]+)\s*(:\s*(?:([0-9a-z]+)\s*)?)?\]/.exec(rest);
    if (range) {
      const [whole, window, colon, step] = range;
      const scaled = scaleDuration(window as string, scale);
      out +=
        colon === undefined
          ? `[${scaled}]`
          : `[${scaled}:${step === undefined ? '' : scaleDuration(step, scale)}]`;
      i += whole.length;
      continue;
    }
    const offset = /^offset(\s+)(-?)([0-9a-z]+)/.exec(rest);
    if (offset && !/[\w:]/.test(expr[i - 1] ?? ' ')) {
      out += `offset${offset[1]}${offset[2]}${scaleDuration(offset[3] as string, scale)}`;
      i += offset[0].length;
      continue;
    }
    out += c;
    i += 1;
  }
  return out;
}

/** One alert rule as the drill knows it: its name, severity, and unscaled `for` and windows. */
export interface AlertRuleInfo {
  name: string;
  severity?: string;
  expr: string;
  /** As written (unscaled), and as the drill runs it. */
  for: string;
  scaledFor: string;
  /** The range windows its expression uses, as written. */
  windows: string[];
  group: string;
}

interface RuleDoc {
  groups?: { name?: string; interval?: string; rules?: Record<string, unknown>[] }[];
}

/** The alert rules of a rules file's text, in file order. Throws a UsageError naming the file when it is not one. */
export function alertRules(text: string, file: string, scale = 1): AlertRuleInfo[] {
  const doc = parseYaml(text, file) as RuleDoc;
  if (!doc || !Array.isArray(doc.groups)) throw new UsageError(`${file}: no "groups:" list of rule groups`);
  const out: AlertRuleInfo[] = [];
  for (const g of doc.groups) {
    for (const r of g.rules ?? []) {
      if (typeof r.alert !== 'string') continue;
      const expr = typeof r.expr === 'string' ? r.expr : '';
      const f = typeof r.for === 'string' ? r.for : '0s';
      const labels = (r.labels ?? {}) as Record<string, unknown>;
      out.push({
        name: r.alert,
        ...(typeof labels.severity === 'string' ? { severity: labels.severity } : {}),
        expr,
        for: f,
        scaledFor: scaleDuration(f, scale),
        windows: [...expr.matchAll(/\[\s*([0-9a-z]+)\s*[:\]]/g)].map((m) => m[1] as string),
        group: g.name ?? '',
      });
    }
  }
  return out;
}

/** The rules file with every `for`, `keep_firing_for`, group `interval` and expression duration scaled. */
export function scaleRules(text: string, file: string, scale: number): string {
  const doc = parseYaml(text, file) as RuleDoc;
  if (!doc || !Array.isArray(doc.groups)) throw new UsageError(`${file}: no "groups:" list of rule groups`);
  for (const g of doc.groups) {
    if (typeof g.interval === 'string') g.interval = scaleDuration(g.interval, scale);
    for (const r of g.rules ?? []) {
      for (const k of ['for', 'keep_firing_for'] as const)
        if (typeof r[k] === 'string') r[k] = scaleDuration(r[k], scale);
      if (typeof r.expr === 'string') r.expr = scaleExpr(r.expr, scale);
    }
  }
  return stringify(doc, { lineWidth: 0 });
}

/** Where the drill's receivers listen: the SMTP server and the webhook server, on 127.0.0.1. */
export interface ReceiverPorts {
  smtp: number;
  webhook: number;
  /** Their address as Alertmanager reaches them (default 127.0.0.1; docker: the estate network's gateway). */
  host?: string;
}

/** What the drill needs to know of the Alertmanager file: its receivers and what each kind of them is. */
export interface ReceiverInfo {
  name: string;
  /** Addresses an e-mail receiver sends to (the SMTP server attributes a message by its recipients). */
  emailTo: string[];
  webhook: boolean;
}

const SENDS_OFF_MACHINE = [
  'slack_configs',
  'pagerduty_configs',
  'opsgenie_configs',
  'victorops_configs',
  'pushover_configs',
  'wechat_configs',
  'telegram_configs',
  'sns_configs',
  'discord_configs',
  'webex_configs',
  'msteams_configs',
];

interface AmRoute {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: AmRoute[];
}
interface AmDoc {
  global?: Record<string, unknown>;
  route?: AmRoute;
  receivers?: ({ name: string } & Record<string, unknown>)[];
}

/**
 * The copy of an Alertmanager file a drill runs: every e-mail receiver sent to the drill's SMTP server, every
 * webhook to the drill's webhook server at `/<receiver name>`, and the route's waits and intervals scaled. A
 * receiver of a kind that would send off the machine (Slack, PagerDuty, ...) is refused: exit 2, nothing started.
 */
export function alertmanagerForDrill(
  text: string,
  file: string,
  ports: ReceiverPorts,
  scale: number,
): { yaml: string; receivers: ReceiverInfo[] } {
  const doc = parseYaml(text, file) as AmDoc;
  if (!doc?.route || !Array.isArray(doc.receivers))
    throw new UsageError(`${file}: an Alertmanager configuration needs "route:" and "receivers:"`);
  const host = ports.host ?? '127.0.0.1';
  const smarthost = `${host}:${ports.smtp}`;
  doc.global = { ...doc.global, smtp_smarthost: smarthost, smtp_require_tls: false };
  if (typeof doc.global.resolve_timeout === 'string')
    doc.global.resolve_timeout = scaleDuration(doc.global.resolve_timeout, scale);
  const receivers: ReceiverInfo[] = [];
  for (const r of doc.receivers) {
    const off = SENDS_OFF_MACHINE.filter((k) => k in r);
    if (off.length)
      throw new UsageError(
        `${file}: receiver ${JSON.stringify(r.name)} has ${off.join(', ')}, which would send off this machine; ` +
          'a drill runs e-mail and webhook receivers only, against receivers of its own',
      );
    const emails = (r.email_configs ?? []) as Record<string, unknown>[];
    for (const e of emails) {
      e.smarthost = smarthost;
      e.require_tls = false;
    }
    const hooks = (r.webhook_configs ?? []) as Record<string, unknown>[];
    for (const h of hooks) h.url = `http://${host}:${ports.webhook}/${encodeURIComponent(r.name)}`;
    receivers.push({
      name: r.name,
      emailTo: emails.map((e) => (typeof e.to === 'string' ? e.to.toLowerCase() : '')).filter(Boolean),
      webhook: hooks.length > 0,
    });
  }
  const scaleRoute = (route: AmRoute) => {
    for (const k of ['group_wait', 'group_interval', 'repeat_interval'] as const) {
      const v = route[k];
      if (typeof v === 'string') route[k] = scaleDuration(v, scale);
    }
    for (const r of route.routes ?? []) scaleRoute(r);
  };
  scaleRoute(doc.route);
  return { yaml: stringify(doc, { lineWidth: 0 }), receivers };
}

/** The root route's timing as written (unscaled), for the report. */
export function routeTiming(text: string, file: string): Record<string, string> {
  const doc = parseYaml(text, file) as AmDoc;
  const r = doc?.route ?? {};
  const out: Record<string, string> = {};
  for (const k of ['group_wait', 'group_interval', 'repeat_interval'] as const) {
    const v = r[k];
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** The scrape targets of an estate, as `host:port` on 127.0.0.1. */
export interface ScrapeTargets {
  app: string;
  node: string;
  postgres: string;
  redis?: string;
  alertmanager: string;
  /** The app's stable instance name (the local backend picks ports at run time). */
  appInstance: string;
  /** node_exporter reports every filesystem of the machine: only those under these paths are the estate's. */
  estateMounts: string[];
}

/**
 * The Prometheus configuration of a drill: the jobs the rules name (`app`, `redis`, `node`, and `postgres`
 * for postgres_exporter), the app with a stable `instance` label, the scaled rules, and Alertmanager.
 */
export function prometheusConfig(targets: ScrapeTargets, rulesFile: string, scale: number): string {
  const interval = scaleDuration(UNSCALED_SCRAPE_INTERVAL, scale);
  const job = (name: string, target: string, extra: Record<string, unknown> = {}) => ({
    job_name: name,
    static_configs: [{ targets: [target] }],
    ...extra,
  });
  const escaped = targets.estateMounts.map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const doc = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: [rulesFile],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [targets.alertmanager] }] }] },
    scrape_configs: [
      job('app', targets.app, {
        relabel_configs: [{ target_label: 'instance', replacement: targets.appInstance }],
      }),
      job('node', targets.node, {
        // The machine is shared: its own filesystems are not the estate's. Filesystem series are kept only
        // for mounts under the estate's directories (the database's size-limited volume).
        metric_relabel_configs: [
          {
            source_labels: ['__name__'],
            regex: 'node_filesystem_.+',
            target_label: '__tmp_fs',
            replacement: 'fs',
          },
          {
            source_labels: ['__tmp_fs', 'mountpoint'],
            regex: `fs;(${escaped})(/.*)?`,
            target_label: '__tmp_fs',
            replacement: 'estate',
          },
          { source_labels: ['__tmp_fs'], regex: 'fs', action: 'drop' },
          { regex: '__tmp_fs', action: 'labeldrop' },
        ],
      }),
      // postgres_exporter runs a dozen queries per scrape, which on a loaded machine take longer than the scaled
      // interval; no rule reads its series (they are for a person at the dashboard): it is scraped every minute.
      job('postgres', targets.postgres, {
        scrape_interval: scaleDuration(POSTGRES_SCRAPE_INTERVAL, scale),
        scrape_timeout: scaleDuration(POSTGRES_SCRAPE_INTERVAL, scale),
      }),
      ...(targets.redis ? [job('redis', targets.redis)] : []),
    ],
  };
  return stringify(doc, { lineWidth: 0 });
}

/** The vector selectors of a PromQL expression (`metric{matchers}`), functions, keywords and label lists left out. */
export function selectors(expr: string): string[] {
  const noStrings: string[] = [];
  // Keep strings inside matchers; drop grouping label lists, which are not selectors.
  const text = expr.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const keywords = new Set([
    'and',
    'or',
    'unless',
    'bool',
    'offset',
    'by',
    'without',
    'on',
    'ignoring',
    'inf',
    'nan',
  ]);
  const re = /([a-z_:][\w:]*)\s*(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const [whole, name, matchers] = m;
    const before = text.slice(0, m.index);
    if (/[0-9.]$/.test(before) || /"[^"]*$/.test(before.replace(/"(?:[^"\\]|\\.)*"/g, ''))) continue;
    const next = text.slice(m.index + whole.length).trimStart();
    if (!matchers && next.startsWith('(')) continue; // a function call
    if (keywords.has((name as string).toLowerCase())) continue;
    noStrings.push(`${name}${matchers ?? ''}`);
  }
  return [...new Set(noStrings)];
}

function parseYaml(text: string, file: string): unknown {
  try {
    return parse(text);
  } catch (e) {
    const pos = (e as { linePos?: { line: number }[] }).linePos?.[0];
    throw new UsageError(`${file}${pos ? `:${pos.line}` : ''}: ${(e as Error).message.split('\n')[0]}`);
  }
}
