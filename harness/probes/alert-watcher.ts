/**
 * The alert watcher: during a drill with monitoring, polls Prometheus's alerts API and the drill's receivers,
 * and puts typed `alert` events on the timeline (pending, firing, resolved; notified per receiver). Before the
 * fault it checks the rules against reality (every metric a rule selects must have series in the live
 * Prometheus); after recovery, that every dashboard panel's query returned data during the drill. Its recovery
 * is pending until every expected alert has fired, reached the receivers its severity is routed to, and
 * resolved with a resolved notice at each.
 */
import axios from 'axios';
import { delay, poll } from '../core/poll.ts';
import { dashboardQueries } from '../estate/monitoring/check.ts';
import { selectors } from '../estate/monitoring/config.ts';
import type { MonitoringRole } from '../estate/types.ts';
import {
  alertsSettled,
  measureAlerts,
  type AlertsMeasurement,
  type PanelCheck,
  type RuleSeriesFinding,
} from '../measure/alerts.ts';
import { ofKind, type AlertEvent } from '../measure/timeline.ts';
import { once, type Observer, type ObserverContext, type StartedObserver } from './observer.ts';

/** The runbook's routing promise: critical pages by e-mail and the chat webhook, warnings by e-mail only. */
export const RUNBOOK_ROUTING: Readonly<Record<string, readonly string[]>> = {
  critical: ['slack-webhook', 'email'],
  warning: ['email'],
};

export interface AlertWatchOptions {
  /** The rules this drill's fault must fire (and that must resolve after the recovery). */
  expect: readonly string[];
  /** Rules the fault touches for less than their `for`: may go pending, must not fire nor notify. */
  mustNotPage?: readonly string[];
  /** Severity -> receivers promised (default: the runbook's). */
  routing?: Readonly<Record<string, readonly string[]>>;
  /** Poll interval (default: the scaled scrape interval, at least 100 ms). */
  pollMs?: number;
}

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
}

export function alertWatcher(opts: AlertWatchOptions): Observer {
  return {
    name: 'alert-watcher',
    async start(ctx: ObserverContext): Promise<StartedObserver> {
      const mon = ctx.estate.monitoring;
      if (!mon) throw new Error('the alert watcher needs an estate with monitoring');
      const routing = Object.fromEntries(
        Object.entries(opts.routing ?? RUNBOOK_ROUTING).map(([k, v]) => [k, [...v]]),
      );
      const severities = Object.fromEntries(mon.rules.map((r) => [r.name, r.severity]));
      const unknown = [...opts.expect, ...(opts.mustNotPage ?? [])].filter((n) => !(n in severities));
      if (unknown.length)
        throw new Error(`expected alert ${unknown.join(', ')} is not a rule of ${mon.files.rules}`);
      const pollMs = opts.pollMs ?? Math.max(100, mon.scrapeIntervalMs);
      const events: AlertEvent[] = [];
      const emit = (e: AlertEvent) => {
        events.push(e);
        ctx.emit(e);
      };
      const startedAt = ctx.clock.now();
      const jobs = await scrapedJobs(mon, ctx.signal);
      const ruleSeries = await checkRuleSeries(mon, jobs);

      const state = new Map<string, { state: 'pending' | 'firing'; severity?: string }>();
      let seen = 0;
      let lastPoll = -1;
      let lastFiring = -1;
      let stopped = false;
      const tick = async () => {
        const r = await axios.get<{ data: { alerts: PromAlert[] } }>(`${mon.prometheusUrl}/api/v1/alerts`, {
          timeout: 2000,
        });
        const t = ctx.clock.now();
        const now = new Map<string, { state: 'pending' | 'firing'; severity?: string }>();
        for (const a of r.data.data.alerts) {
          const name = a.labels.alertname ?? '';
          if (a.state === 'inactive') continue;
          const prev = now.get(name);
          if (!prev || a.state === 'firing')
            now.set(name, { state: a.state, ...(a.labels.severity ? { severity: a.labels.severity } : {}) });
        }
        for (const [name, s] of now) {
          if (s.state === 'firing') lastFiring = t;
          if (state.get(name)?.state !== s.state) emit({ kind: 'alert', t, name, ...sev(s), state: s.state });
        }
        for (const [name, s] of state)
          if (!now.has(name) && s.state === 'firing')
            emit({ kind: 'alert', t, name, ...sev(s), state: 'resolved' });
        state.clear();
        for (const [k, v] of now) state.set(k, v);
        const got = mon.notifications();
        const wallNow = Date.now();
        for (const n of got.slice(seen))
          for (const a of n.alerts)
            emit({
              kind: 'alert',
              t: t - Math.max(0, wallNow - n.atWallMs),
              name: a.name,
              ...sev({ severity: severities[a.name] }),
              state: 'notified',
              receiver: n.receiver,
              status: a.status,
            });
        seen = got.length;
        lastPoll = t;
      };
      const loop = (async () => {
        while (!stopped && !ctx.signal.aborted) {
          await tick().catch(() => undefined);
          await delay(pollMs, ctx.signal).catch(() => undefined);
        }
      })();

      let dashboard: PanelCheck[] = [];
      // The watcher's own events, and the alerts a fault announced (`expected`) from the drill's timeline.
      const measureNow = (faultAt?: number) =>
        measureAlerts([...events, ...ofKind(ctx.timeline(), 'alert').filter((e) => e.state === 'expected')], {
          ...(faultAt !== undefined ? { faultAt } : {}),
          expected: [
            ...opts.expect.map((name) => ({ name })),
            ...(opts.mustNotPage ?? []).map((name) => ({ name, kind: 'must-not-page' as const })),
          ],
          routing,
          severities,
          pollMs,
          scale: mon.scale,
        });
      return {
        name: 'alert-watcher',
        steady(since) {
          return {
            subject: 'no alert firing in Prometheus',
            lastBad: Math.max(since, lastFiring),
            goodAfter: (after) => lastPoll > after,
          };
        },
        recovery(faultAt) {
          const results = measureNow(faultAt);
          const base = { failedProbes: 0, probesAfterFault: 0 };
          if (!alertsSettled(results, routing)) {
            const waiting = results
              .filter((r) => r.expected && r.resolvedAtMs === undefined)
              .map((r) => r.name);
            return { status: 'pending', reason: `alerts not yet resolved: ${waiting.join(', ')}`, ...base };
          }
          const last = Math.max(
            0,
            ...results.flatMap((r) => [r.resolvedAtMs ?? 0, ...r.notified.map((n) => n.resolvedAtMs ?? 0)]),
          );
          return {
            status: 'recovered',
            rtoMs: last,
            recoveredAt: faultAt + last,
            outage: results.some((r) => r.firedAtMs !== undefined),
            resolutionMs: pollMs,
            ...base,
          };
        },
        stop: once(async () => {
          stopped = true;
          await loop;
          await tick().catch(() => undefined);
        }),
        async readBack() {
          const end = ctx.clock.now();
          dashboard = await checkDashboard(mon, jobs, (end - startedAt) / 1000);
        },
        measure(input) {
          const m: AlertsMeasurement = {
            scale: mon.scale,
            files: { ...mon.files },
            rules: mon.rules.map((r) => ({
              name: r.name,
              ...(r.severity ? { severity: r.severity } : {}),
              for: r.for,
              scaledFor: r.scaledFor,
              windows: r.windows,
            })),
            routeTiming: { ...mon.routeTiming },
            routing,
            alerts: measureNow(input.faultAt),
            ruleSeries,
            dashboard,
          };
          return { alerts: m };
        },
      };
    },
  };
}

function sev(s: { severity?: string | undefined }): { severity?: string } {
  return s.severity ? { severity: s.severity } : {};
}

async function query(mon: MonitoringRole, expr: string): Promise<unknown[]> {
  const r = await axios.get<{ data: { result: unknown[] } }>(`${mon.prometheusUrl}/api/v1/query`, {
    params: { query: expr },
    timeout: 5000,
  });
  return r.data.data.result;
}

/** The jobs Prometheus scrapes, once each has been scraped successfully twice. */
export async function scrapedJobs(mon: MonitoringRole, signal: AbortSignal): Promise<Set<string>> {
  return poll(
    async () => {
      const r = await axios.get<{
        data: { activeTargets: { labels: Record<string, string>; health: string }[] };
      }>(`${mon.prometheusUrl}/api/v1/targets`, { timeout: 2000 });
      const targets = r.data.data.activeTargets;
      if (!targets.length || targets.some((t) => t.health !== 'up')) return undefined;
      await delay(2 * mon.scrapeIntervalMs, signal);
      return new Set(targets.map((t) => t.labels.job ?? ''));
    },
    {
      subject: 'Prometheus to scrape every target of the estate',
      timeoutMs: 15_000,
      intervalMs: 100,
      signal,
    },
  );
}

/** The job a selector names with `job="x"`, if any. */
function jobOf(selector: string): string | undefined {
  return /\bjob\s*=\s*"([^"]*)"/.exec(selector)?.[1];
}

/**
 * Every metric each rule selects has series in the live Prometheus: checked by metric name and job (a
 * selector's other matchers, such as `status=~"5.."`, may rightly select nothing before the fault). Selectors of
 * a job the estate does not scrape (redis_exporter without Redis) are not required.
 */
export async function checkRuleSeries(
  mon: MonitoringRole,
  jobs: ReadonlySet<string>,
): Promise<RuleSeriesFinding[]> {
  const out: RuleSeriesFinding[] = [];
  // Over the last few scrapes, not at this instant: one scrape that timed out on a loaded machine marks every
  // series of its target stale, and the metric would look absent though it exists.
  const window = `${Math.max(2000, 8 * mon.scrapeIntervalMs)}ms`;
  for (const rule of mon.rules) {
    const missing: string[] = [];
    for (const sel of selectors(rule.expr)) {
      const name = /^[a-z_:][\w:]*/i.exec(sel)?.[0] ?? sel;
      const job = jobOf(sel);
      if (job !== undefined && !jobs.has(job)) continue;
      const q = `count(last_over_time(${name}${job !== undefined ? `{job="${job}"}` : ''}[${window}]))`;
      if ((await query(mon, q)).length === 0)
        missing.push(job !== undefined ? `${name}{job="${job}"}` : name);
    }
    if (missing.length) out.push({ rule: rule.name, missing });
  }
  return out;
}

/** Each dashboard panel query, over the drill's span: did it return data at any instant? */
async function checkDashboard(
  mon: MonitoringRole,
  jobs: ReadonlySet<string>,
  spanS: number,
): Promise<PanelCheck[]> {
  const out: PanelCheck[] = [];
  const end = Date.now() / 1000;
  for (const { panel, expr } of dashboardQueries(mon.files.dashboard)) {
    const absent = selectors(expr)
      .map(jobOf)
      .find((j) => j !== undefined && !jobs.has(j));
    if (absent !== undefined) {
      out.push({ panel, expr, hasData: false, skipped: `job "${absent}" is not scraped in this estate` });
      continue;
    }
    const r = await axios
      .get<{ data: { result: unknown[] } }>(`${mon.prometheusUrl}/api/v1/query_range`, {
        params: { query: expr, start: end - spanS, end, step: Math.max(0.1, mon.scrapeIntervalMs / 1000) },
        timeout: 10_000,
      })
      .then((x) => x.data.data.result.length > 0)
      .catch(() => false);
    out.push({ panel, expr, hasData: r });
  }
  return out;
}
