/**
 * What every backend's monitoring starts the same way: the drill's receivers (SMTP, webhook), then the copies of
 * the files under test it runs (the rules scaled, the Alertmanager file scaled and pointed at those receivers),
 * and the backend-neutral part of the estate's `MonitoringRole`. Where Prometheus, Alertmanager and the exporters
 * run (processes, containers) and how they are addressed stays the backend's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TeardownStack } from '../../core/teardown.ts';
import type { MonitoringRole } from '../types.ts';
import {
  alertmanagerForDrill,
  alertRules,
  promDurationMs,
  routeTiming,
  scaleDuration,
  scaleRules,
  UNSCALED_SCRAPE_INTERVAL,
  type MonitoringSettings,
  type ReceiverInfo,
} from './config.ts';
import { startReceivers, type Receivers } from './receivers.ts';

export interface DrillMonitoringFiles {
  receivers: Receivers;
  /** The scaled rules, the drill's Alertmanager file: paths in `dir`. */
  rulesCopy: string;
  amCopy: string;
  /** The role's fields every backend fills the same way (URLs, processes and the volume are the backend's). */
  roleBase: Omit<MonitoringRole, 'prometheusUrl' | 'alertmanagerUrl' | 'processes' | 'dbVolume'>;
}

/**
 * Start the receivers (ports from DRILL_ALERT_SMTP_PORT / DRILL_ALERT_WEBHOOK_PORT, else `ports`), register their
 * stop, and write the scaled copies into `dir`.
 */
export async function drillMonitoringFiles(o: {
  settings: MonitoringSettings;
  dir: string;
  env: NodeJS.ProcessEnv;
  teardown: TeardownStack;
  teardownGroup?: { group: string } | undefined;
  ports: { smtp: number; webhook: number };
  /** Where the receivers listen and the Alertmanager copy sends (default loopback). */
  host?: string;
}): Promise<DrillMonitoringFiles> {
  const { settings, dir, env } = o;
  // Receivers first: the Alertmanager copy needs their ports.
  let receiverInfo: ReceiverInfo[] = [];
  const receivers = await startReceivers(
    {
      smtp: env.DRILL_ALERT_SMTP_PORT ? Number(env.DRILL_ALERT_SMTP_PORT) : o.ports.smtp,
      webhook: env.DRILL_ALERT_WEBHOOK_PORT ? Number(env.DRILL_ALERT_WEBHOOK_PORT) : o.ports.webhook,
    },
    () => receiverInfo,
    ...(o.host ? [o.host] : []),
  );
  o.teardown.push(
    'stop the alert receivers (SMTP, webhook)',
    () => receivers.close(),
    undefined,
    o.teardownGroup ?? {},
  );

  const scale = settings.scale;
  const rulesText = readFileSync(settings.rulesFile, 'utf8');
  const amText = readFileSync(settings.alertmanagerFile, 'utf8');
  const rulesCopy = join(dir, 'rules.scaled.yml');
  writeFileSync(rulesCopy, scaleRules(rulesText, settings.rulesFile, scale));
  const am = alertmanagerForDrill(
    amText,
    settings.alertmanagerFile,
    { smtp: receivers.smtpPort, webhook: receivers.webhookPort, ...(o.host ? { host: o.host } : {}) },
    scale,
  );
  receiverInfo = am.receivers;
  const amCopy = join(dir, 'alertmanager.drill.yml');
  writeFileSync(amCopy, am.yaml);
  return {
    receivers,
    rulesCopy,
    amCopy,
    roleBase: {
      scale,
      scrapeIntervalMs: promDurationMs(scaleDuration(UNSCALED_SCRAPE_INTERVAL, scale)),
      rules: alertRules(rulesText, settings.rulesFile, scale),
      receivers: am.receivers,
      routeTiming: routeTiming(amText, settings.alertmanagerFile),
      files: {
        rules: settings.rulesFile,
        alertmanager: settings.alertmanagerFile,
        dashboard: settings.dashboardFile,
      },
      notifications: () => receivers.notifications(),
    },
  };
}
