/**
 * The flags of `drill run` for the monitoring under test: which rules, Alertmanager configuration and dashboard
 * (the fixtures by default), the time scale of a live drill, and `--alerts`, which adds the monitoring to
 * drills that do not need it (their expected alerts are then watched and reported).
 */
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { PrerequisiteError, UsageError } from '../core/errors.ts';
import type { DrillDefinition } from '../drill/define.ts';
import { blocking, type Backend } from '../estate/backend.ts';
import { checkMonitoringFiles } from '../estate/monitoring/check.ts';
import { defaultMonitoringSettings, type MonitoringSettings } from '../estate/monitoring/config.ts';

export const MONITORING_OPTIONS = {
  alerts: { type: 'boolean', default: false },
  rules: { type: 'string' },
  'alertmanager-config': { type: 'string' },
  dashboard: { type: 'string' },
  'alert-time-scale': { type: 'string' },
} as const;

export interface MonitoringFlags {
  alerts?: boolean;
  rules?: string;
  'alertmanager-config'?: string;
  dashboard?: string;
  'alert-time-scale'?: string;
}

/**
 * The monitoring settings of a run, checked before anything starts (promtool, amtool: exit 2 naming the file
 * and line), or undefined when no drill of the run has monitoring.
 */
export function monitoringSettings(
  values: MonitoringFlags,
  drills: readonly DrillDefinition[],
  env: NodeJS.ProcessEnv,
): MonitoringSettings | undefined {
  const wanted = values.alerts === true || drills.some((d) => d.estate.monitoring);
  const given = (['rules', 'alertmanager-config', 'dashboard', 'alert-time-scale'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (!wanted) {
    // A drill that uses the monitoring where offered reads them once the backend is known (offerMonitoring).
    if (given.length && !drills.some((d) => d.monitoringWhenOffered))
      throw new UsageError(
        `run: --${given[0]} applies to drills with monitoring; none of ${drills.map((d) => d.id).join(', ')} has it (add --alerts)`,
      );
    return undefined;
  }
  const settings = defaultMonitoringSettings();
  if (values.rules) settings.rulesFile = resolve(values.rules);
  if (values['alertmanager-config']) settings.alertmanagerFile = resolve(values['alertmanager-config']);
  if (values.dashboard) settings.dashboardFile = resolve(values.dashboard);
  const scale = values['alert-time-scale'];
  if (scale !== undefined) {
    const f = Number(scale);
    if (!/^\d+(?:\.\d+)?$/.test(scale.trim()) || !(f >= 1))
      throw new UsageError(
        `run: --alert-time-scale must be a number >= 1 (durations are divided by it), not '${scale}'`,
      );
    settings.scale = f;
    settings.scaleGiven = true;
  }
  checkMonitoringFiles(settings, env);
  return settings;
}

/** A drill as run with --alerts: its estate gets the monitoring, and it needs a backend that offers it. */
export function withAlerts(d: DrillDefinition): DrillDefinition {
  if (d.estate.monitoring) return d;
  return {
    ...d,
    estate: { ...d.estate, monitoring: true },
    needs: [...new Set([...d.needs, 'monitoring' as const])],
  };
}

/**
 * The receivers' fixed ports, when the environment asks for them (DRILL_ALERT_SMTP_PORT,
 * DRILL_ALERT_WEBHOOK_PORT): a port that is not a port is exit 2, one in use exit 3 naming the receiver; both
 * before anything starts. Unset, each receiver takes a free port when the estate starts.
 */
export async function checkReceiverPorts(env: NodeJS.ProcessEnv): Promise<void> {
  for (const [name, what] of [
    ['DRILL_ALERT_SMTP_PORT', 'SMTP receiver'],
    ['DRILL_ALERT_WEBHOOK_PORT', 'webhook receiver'],
  ] as const) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new UsageError(`${name} must be a TCP port (1..65535), not '${raw}'`);
    const free = await new Promise<boolean>((done) => {
      const s = createServer();
      s.once('error', () => done(false));
      s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
    });
    if (!free)
      throw new PrerequisiteError(
        `the drill's ${what} cannot listen on 127.0.0.1:${port}: the port is in use (${name})`,
        `free the port, or unset ${name} to take a free one`,
      );
  }
}

/**
 * The drills that use the monitoring where it is offered (`monitoringWhenOffered`) get it when `backend` offers it
 * and its programs are installed, with the settings of `values`; elsewhere they run without it and `log` says
 * why (in CI a missing program is an error: CI installs them). Returns the drills as they will run and the
 * monitoring settings of the run (`settings` when already known).
 */
export async function offerMonitoring(
  drills: readonly DrillDefinition[],
  backend: Backend,
  values: MonitoringFlags,
  settings: MonitoringSettings | undefined,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<{ drills: DrillDefinition[]; settings: MonitoringSettings | undefined }> {
  const wanting = drills.filter((d) => d.monitoringWhenOffered && !d.estate.monitoring);
  if (!wanting.length) return { drills: [...drills], settings };
  const ids = wanting.map((d) => d.id).join(', ');
  if (!backend.capabilities.includes('monitoring')) {
    log(`${ids}: the ${backend.name} backend runs no monitoring; the checklist's Monitoring items will skip`);
    return { drills: [...drills], settings };
  }
  const [missing] = blocking(await backend.prerequisites(env), ['monitoring']);
  if (missing) {
    if (env.CI) throw new PrerequisiteError(`${missing.what}: ${missing.detail}`, missing.remedy ?? '');
    log(
      `${ids} without monitoring: ${missing.detail}; the checklist's Monitoring items will skip (${missing.remedy ?? ''})`,
    );
    return { drills: [...drills], settings };
  }
  const offered = drills.map((d) => (d.monitoringWhenOffered ? withAlerts(d) : d));
  const chosen = settings ?? monitoringSettings(values, offered, env);
  if (!settings) await checkReceiverPorts(env);
  return { drills: offered, settings: chosen };
}
