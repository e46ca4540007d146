/**
 * The monitoring programs of Debian's packages (`prometheus`, `prometheus-alertmanager`,
 * `prometheus-node-exporter`, `prometheus-postgres-exporter`, `prometheus-redis-exporter`), found on PATH.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PrerequisiteError } from '../../core/errors.ts';
import type { Prerequisite } from '../backend.ts';

/** Role name -> the program Debian installs. */
export const MONITORING_BINARIES = {
  prometheus: { file: 'prometheus', pkg: 'prometheus' },
  alertmanager: { file: 'prometheus-alertmanager', pkg: 'prometheus-alertmanager' },
  'node-exporter': { file: 'prometheus-node-exporter', pkg: 'prometheus-node-exporter' },
  'postgres-exporter': { file: 'prometheus-postgres-exporter', pkg: 'prometheus-postgres-exporter' },
  'redis-exporter': { file: 'prometheus-redis-exporter', pkg: 'prometheus-redis-exporter' },
  promtool: { file: 'promtool', pkg: 'prometheus' },
  amtool: { file: 'amtool', pkg: 'prometheus-alertmanager' },
} as const;
export type MonitoringProgram = keyof typeof MONITORING_BINARIES;

const ALL_PACKAGES = [...new Set(Object.values(MONITORING_BINARIES).map((b) => b.pkg))];
export const MONITORING_REMEDY = `apt-get install -y ${ALL_PACKAGES.join(' ')}`;

export function findMonitoringBinary(
  name: MonitoringProgram,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  for (const dir of [...(env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin']) {
    if (!dir) continue;
    const path = join(dir, MONITORING_BINARIES[name].file);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  return undefined;
}

export function monitoringBinary(name: MonitoringProgram, env: NodeJS.ProcessEnv = process.env): string {
  const found = findMonitoringBinary(name, env);
  if (!found)
    throw new PrerequisiteError(
      `${MONITORING_BINARIES[name].file} not found (package ${MONITORING_BINARIES[name].pkg})`,
      MONITORING_REMEDY,
    );
  return found;
}

/** The monitoring programs as `drill doctor` lines, needed only by drills that need `monitoring`. */
export function monitoringPrerequisites(env: NodeJS.ProcessEnv): Prerequisite[] {
  const missing = (Object.keys(MONITORING_BINARIES) as MonitoringProgram[]).filter(
    (n) => !findMonitoringBinary(n, env),
  );
  return [
    missing.length
      ? {
          what: 'Prometheus, Alertmanager and exporters',
          ok: false,
          detail: `${missing.map((m) => MONITORING_BINARIES[m].file).join(', ')} not found (needed only by drills with monitoring)`,
          remedy: MONITORING_REMEDY,
          onlyFor: 'monitoring',
        }
      : {
          what: 'Prometheus, Alertmanager and exporters',
          ok: true,
          detail: (Object.keys(MONITORING_BINARIES) as MonitoringProgram[])
            .map((m) => MONITORING_BINARIES[m].file)
            .join(', '),
          onlyFor: 'monitoring',
        },
  ];
}
