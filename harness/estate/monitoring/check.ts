/**
 * The files under test checked before anything starts, by the tools of the components that will load them:
 * `promtool check rules` and `amtool check-config`. A file they refuse is a UsageError (exit 2) carrying the
 * tool's own message, which names the file and the line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.ts';
import { monitoringBinary } from './binaries.ts';
import { alertmanagerForDrill, alertRules, type MonitoringSettings } from './config.ts';

export function checkMonitoringFiles(
  settings: MonitoringSettings,
  env: NodeJS.ProcessEnv = process.env,
): void {
  for (const [flag, file] of [
    ['--rules', settings.rulesFile],
    ['--alertmanager-config', settings.alertmanagerFile],
    ['--dashboard', settings.dashboardFile],
  ] as const)
    if (!existsSync(file)) throw new UsageError(`${flag} ${file}: no such file`);
  if (!(settings.scale > 0 && Number.isFinite(settings.scale)))
    throw new UsageError(`--alert-time-scale must be a positive number (got ${settings.scale})`);
  tool(env, 'promtool', ['check', 'rules', settings.rulesFile], settings.rulesFile);
  tool(env, 'amtool', ['check-config', settings.alertmanagerFile], settings.alertmanagerFile);
  // Parsed by us too: every rule named, no receiver that would send off the machine.
  const rules = alertRules(readFileSync(settings.rulesFile, 'utf8'), settings.rulesFile);
  if (!rules.length) throw new UsageError(`${settings.rulesFile}: no alerting rules`);
  alertmanagerForDrill(
    readFileSync(settings.alertmanagerFile, 'utf8'),
    settings.alertmanagerFile,
    { smtp: 1, webhook: 1 },
    1,
  );
  try {
    const dash = JSON.parse(readFileSync(settings.dashboardFile, 'utf8')) as { panels?: unknown };
    if (!Array.isArray(dash.panels)) throw new Error('no "panels" list');
  } catch (e) {
    throw new UsageError(`${settings.dashboardFile}: not a Grafana dashboard: ${(e as Error).message}`);
  }
}

function tool(env: NodeJS.ProcessEnv, name: 'promtool' | 'amtool', args: string[], file: string): void {
  const r = spawnSync(monitoringBinary(name, env), args, { encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0) return;
  const out = [
    ...new Set(
      `${r.stdout}\n${r.stderr}`
        .split('\n')
        .map((l) =>
          l
            .trim()
            .replace(/^Checking \S+\s*/, '')
            .replace(/^FAILED:?\s*/, ''),
        )
        .filter((l) => l && !/^SUCCESS|^amtool: error: failed to validate/.test(l)),
    ),
  ];
  throw new UsageError(`${file}: ${name} ${args[0]} failed: ${out.join(' ') || `exit ${r.status}`}`);
}

/** Grafana dashboard panels' PromQL queries (`targets[].expr`), with the panel's title. */
export function dashboardQueries(file: string): { panel: string; expr: string }[] {
  const dash = JSON.parse(readFileSync(file, 'utf8')) as {
    panels?: { title?: string; targets?: { expr?: string }[]; panels?: unknown[] }[];
  };
  const out: { panel: string; expr: string }[] = [];
  for (const p of dash.panels ?? [])
    for (const t of p.targets ?? [])
      if (t.expr) out.push({ panel: p.title ?? '(untitled)', expr: t.expr.replaceAll('$datasource', '') });
  return out;
}
