/**
 * The pre-deployment checklist's input and its judgement of one check: which variables, secrets and test gates
 * the deployment declares, the limits the checks hold the estate to, and how a `check=` block's run becomes a
 * pass, a skip or a fail. Pure: no process is started here.
 */
import type { SystemUnderTest } from '../config/system.ts';
import { UsageError } from '../core/errors.ts';
import type { ChecklistItem } from '../record/record.ts';
import type { BlockRun } from './execute.ts';
import type { RunbookBlock } from './markdown.ts';

export interface ChecklistGate {
  name: string;
  /** A shell command; exit 0 passes. Its output is the evidence. */
  run: string;
}

/** What the checklist is told about the deployment: names and commands, never values. */
export interface ChecklistOptions {
  /** Environment variables the deployment needs (names). */
  variables: string[];
  /** Secrets the deployment needs (names; their values are redacted wherever they could appear). */
  secrets: string[];
  /** Test gates that must pass (unit, integration, smoke tests). */
  gates: ChecklistGate[];
  /** Where the gates run (default: the project's root; a config file's gates: that file's directory). */
  gatesDir?: string;
  /** The host name clients use: the certificate must match it and it must resolve to the endpoint. */
  serviceName: string;
  limits: {
    maxLagBytes: number;
    minFreePct: number;
    maxBackupAgeHours: number;
    minCertDays: number;
  };
  /** The estate's monitoring, when it has some (the Monitoring items skip without it). */
  monitoring: { prometheusUrl?: string; alertmanagerUrl?: string };
}

export const DEFAULT_LIMITS: ChecklistOptions['limits'] = {
  maxLagBytes: 16 * 1024 * 1024,
  minFreePct: 20,
  maxBackupAgeHours: 24,
  minCertDays: 30,
};

/**
 * No declaration: no variables, secrets or gates (their items skip and say so), the service name `localhost`, the
 * default limits. A config file's `checklist` section is laid over it; the demo's own declaration is the
 * project's drillbook.config.yaml.
 */
export const NO_DECLARATION: ChecklistOptions = {
  variables: [],
  secrets: [],
  gates: [],
  serviceName: 'localhost',
  limits: DEFAULT_LIMITS,
  monitoring: {},
};

/**
 * The monitoring the checks look at, URL by URL: the declaration's (a user's own Prometheus or Alertmanager, named
 * in the config) wins; else the estate's, when it runs monitoring; else none, and the Monitoring items skip.
 */
export function checklistMonitoring(
  declared: ChecklistOptions['monitoring'],
  estate: { prometheusUrl: string; alertmanagerUrl: string } | undefined,
): ChecklistOptions['monitoring'] {
  const prometheusUrl = declared.prometheusUrl ?? estate?.prometheusUrl;
  const alertmanagerUrl = declared.alertmanagerUrl ?? estate?.alertmanagerUrl;
  return {
    ...(prometheusUrl ? { prometheusUrl } : {}),
    ...(alertmanagerUrl ? { alertmanagerUrl } : {}),
  };
}

const NAME = /^[a-z_]\w*$/i;

/**
 * The `checklist` section of a config file over `NO_DECLARATION`: every field optional; a bad one is a UsageError
 * naming `where` and the field.
 */
export function parseChecklistOptions(raw: unknown, where: string): ChecklistOptions {
  const bad = (field: string, why: string) => new UsageError(`${where}: checklist.${field} ${why}`);
  if (raw === undefined) return NO_DECLARATION;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('', 'must be an object');
  const o = raw as Record<string, unknown>;
  const known = ['variables', 'secrets', 'gates', 'serviceName', 'limits', 'monitoring'];
  for (const k of Object.keys(o))
    if (!known.includes(k)) throw bad(k, `is not a field (${known.join(', ')})`);
  const names = (field: 'variables' | 'secrets'): string[] => {
    const v = o[field];
    if (v === undefined) return NO_DECLARATION[field];
    if (!Array.isArray(v) || !v.every((n) => typeof n === 'string' && NAME.test(n)))
      throw bad(field, 'must be a list of environment variable names');
    return v as string[];
  };
  let gates = NO_DECLARATION.gates;
  if (o.gates !== undefined) {
    if (!Array.isArray(o.gates)) throw bad('gates', 'must be a list of { "name", "run" }');
    gates = o.gates.map((g: unknown, i) => {
      const r = g as Record<string, unknown> | null;
      if (typeof r?.name !== 'string' || !r.name || /[\t\n]/.test(r.name))
        throw bad(`gates[${i}].name`, 'must be a one-line text');
      if (typeof r.run !== 'string' || !r.run || /\n/.test(r.run))
        throw bad(`gates[${i}].run`, 'must be a one-line command');
      return { name: r.name, run: r.run };
    });
  }
  const serviceName = o.serviceName ?? NO_DECLARATION.serviceName;
  if (typeof serviceName !== 'string' || !/^[a-z0-9.-]+$/i.test(serviceName))
    throw bad('serviceName', 'must be a host name');
  const limits = { ...DEFAULT_LIMITS };
  if (o.limits !== undefined) {
    if (typeof o.limits !== 'object' || o.limits === null) throw bad('limits', 'must be an object');
    for (const [k, v] of Object.entries(o.limits)) {
      if (!(k in limits)) throw bad(`limits.${k}`, `is not a limit (${Object.keys(limits).join(', ')})`);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        throw bad(`limits.${k}`, 'must be a non-negative integer');
      limits[k as keyof typeof limits] = v;
    }
  }
  const monitoring: ChecklistOptions['monitoring'] = {};
  if (o.monitoring !== undefined) {
    const m = o.monitoring as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null) throw bad('monitoring', 'must be an object');
    for (const k of ['prometheusUrl', 'alertmanagerUrl'] as const) {
      const v = m[k];
      if (v === undefined) continue;
      if (typeof v !== 'string' || !/^https?:\/\/\S+$/.test(v))
        throw bad(`monitoring.${k}`, 'must be an http(s) URL');
      let url = v;
      while (url.endsWith('/')) url = url.slice(0, -1);
      monitoring[k] = url;
    }
  }
  return { variables: names('variables'), secrets: names('secrets'), gates, serviceName, limits, monitoring };
}

/**
 * The declaration of the system under test: its config file's `checklist` section over `NO_DECLARATION`, the
 * gates it declares run in the config file's directory.
 */
export function checklistOf(system: SystemUnderTest | undefined): ChecklistOptions {
  const section = system?.checklist;
  const opts = parseChecklistOptions(section, system?.configFile ?? 'config');
  return section?.gates !== undefined && system ? { ...opts, gatesDir: system.dir } : opts;
}

/**
 * The checks' own environment: the declaration as names, the limits, the monitoring; and the values of the
 * declared names the estate does not provide, taken from `from` (the environment `drill` runs in), so a check
 * sees what the deployment would see. Returns the values of the declared secrets too, to redact.
 */
export function checklistEnv(
  opts: ChecklistOptions,
  estateEnv: Readonly<Record<string, string>>,
  from: NodeJS.ProcessEnv,
): { env: Record<string, string>; secretValues: string[] } {
  const env: Record<string, string> = {
    CHECK_VARIABLES: opts.variables.join(' '),
    CHECK_SECRETS: opts.secrets.join(' '),
    CHECK_GATES: opts.gates.map((g) => `${g.name}\t${g.run}`).join('\n'),
    ...(opts.gatesDir ? { CHECK_GATES_DIR: opts.gatesDir } : {}),
    CHECK_MAX_LAG_BYTES: String(opts.limits.maxLagBytes),
    CHECK_MIN_FREE_PCT: String(opts.limits.minFreePct),
    CHECK_MAX_BACKUP_AGE_HOURS: String(opts.limits.maxBackupAgeHours),
    CHECK_MIN_CERT_DAYS: String(opts.limits.minCertDays),
    ...(opts.monitoring.prometheusUrl ? { PROMETHEUS_URL: opts.monitoring.prometheusUrl } : {}),
    ...(opts.monitoring.alertmanagerUrl ? { ALERTMANAGER_URL: opts.monitoring.alertmanagerUrl } : {}),
  };
  const secretValues: string[] = [];
  for (const name of [...opts.variables, ...opts.secrets]) {
    const value = estateEnv[name] ?? from[name];
    if (value !== undefined && value !== '') {
      if (!(name in estateEnv)) env[name] = value;
      if (opts.secrets.includes(name)) secretValues.push(value);
    }
  }
  return { env, secretValues };
}

const SKIP = /^skip: (.+)$/;

/** The item's name: the block's first comment line (`# PostgreSQL reachable and writable`), else its id. */
export function checkName(block: RunbookBlock): string {
  const first = block.code.split('\n').find((l) => l.trim() !== '');
  const line = first?.trim() ?? '';
  const name = line.startsWith('#') ? line.slice(1).trim() : '';
  return name || block.id;
}

/**
 * One check's run as a checklist item: exit 0 passes (its last line is the detail) or skips (a last line
 * `skip: why`); anything else fails, with the last line it wrote to stderr (what is wrong and what to do) as the
 * reason.
 */
export function judgeCheck(
  block: RunbookBlock & { check: string },
  path: string,
  r: BlockRun,
  output: string,
): ChecklistItem {
  const last = (s: string) => s.trim().split('\n').at(-1)?.trim() ?? '';
  const base = {
    section: block.check,
    name: checkName(block),
    id: block.id,
    source: `${path}#L${r.failedLine ?? block.line}`,
    durationMs: Math.round(r.durationMs),
    ...(output ? { output } : {}),
  };
  if (r.timedOut)
    return {
      ...base,
      status: 'fail',
      reason: `the check timed out: ${last(r.stderr)}`,
      detail: last(r.stdout),
    };
  if (r.exitCode === 0) {
    const said = last(r.stdout);
    const skip = SKIP.exec(said);
    if (skip?.[1]) return { ...base, status: 'skip', reason: skip[1], detail: said };
    return { ...base, status: 'pass', detail: said || 'exit 0' };
  }
  const reason = last(r.stderr) || last(r.stdout) || `exit ${r.exitCode ?? 'signal'}`;
  return { ...base, status: 'fail', reason, detail: `exit ${r.exitCode ?? 'signal'}` };
}
