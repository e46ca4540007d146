/**
 * The system under test as the harness consumes it: the config's sections resolved (absolute paths, the
 * runbook loaded with its block map, the compose file's services checked). Backends start its app from it,
 * observers probe and write through it, steps run its runbook. Nothing in the harness knows one system by name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { loadRunbook, type Runbook } from '../runbook/markdown.ts';
import type { CacheConfig, CanaryConfig, ChecklistConfig, Config, DataConfig } from './schema.ts';

export type Objectives = { rto?: string; rpo?: string };

export interface SystemUnderTest {
  /** The config file as messages name it. */
  readonly configFile: string;
  /** The directory paths in the config are relative to. */
  readonly dir: string;
  readonly name: string;
  readonly local?: { command: string[]; cwd: string; env: Record<string, string> };
  readonly docker?: {
    image: string;
    port: number;
    env: Record<string, string>;
    compose?: {
      file: string;
      services: { database: string; cache?: string; app: string };
      /** Run through the file (a generated override) rather than drillbook's own containers. */
      run: boolean;
      /** The file's `${VAR}` interpolation variables, templates. */
      env: Record<string, string>;
    };
    /** How `drill images build` makes the release images (absolute `copy` paths). */
    build?: { packages: string[]; copy: string[]; workdir: string; command: string[] };
  };
  /** The app on the kube backend: `docker`'s image, port and env as a Deployment, probed for readiness here. */
  readonly kube?: { readinessPath?: string };
  readonly releases: Readonly<Record<string, { env: Record<string, string> }>>;
  /** Absolute directories of the system's own tools, on the PATH of runbook blocks. */
  readonly tools: readonly string[];
  readonly health: {
    path: string;
    status: number;
    bodyIncludes?: string;
    intervalMs?: number;
    /** How the app names the release it serves. */
    version?: ReleaseProbe;
  };
  readonly canary: CanaryConfig;
  /** The runbook (block ids already mapped: a drill's step id finds the user's block). */
  readonly runbook?: Runbook;
  readonly runbookBlocks: Readonly<Record<string, string>>;
  readonly objectives: { plan: Objectives; drills: Readonly<Record<string, Objectives>> };
  /** Images per role from the config (docker backend), before environment overrides. */
  readonly images: { postgres?: string; redis?: string; node?: string; app?: string };
  readonly postgresVersion?: string;
  /** The config's `checklist` section as validated (the pre-deployment checklist's declaration), if any. */
  readonly checklist?: ChecklistConfig;
  /** The system's data as the data-protection drills seed, fingerprint and damage it (`data`), if declared. */
  readonly data?: DataConfig;
  /** How the app shows it has its cache and must degrade without it (`cache`), if declared. */
  readonly cache?: CacheConfig;
}

/** The values an app's environment template may use. */
export interface TemplateValues {
  databaseUrl: string;
  redisUrl?: string;
  port: number;
  version: string;
  dbHost: string;
  dbPort: number;
  dbUser: string;
  dbPassword: string;
  dbName: string;
}

/**
 * Fill an environment template: `{{name}}` becomes its value; a variable whose template names a value this
 * estate does not have (`{{redisUrl}}` without Redis) is left out.
 */
export function renderEnv(template: Record<string, string>, values: TemplateValues): Record<string, string> {
  const out: Record<string, string> = {};
  const table = values as unknown as Record<string, string | number | undefined>;
  for (const [k, v] of Object.entries(template)) {
    let missing = false;
    const filled = v.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
      const value = table[name];
      if (value === undefined) missing = true;
      return value === undefined ? '' : String(value);
    });
    if (!missing) out[k] = filled;
  }
  return out;
}

/** The app's environment for a release: the template filled, then the release's own variables. */
export function appEnv(
  system: SystemUnderTest,
  template: Record<string, string>,
  values: TemplateValues,
): Record<string, string> {
  return { ...renderEnv(template, values), ...releaseOf(system, values.version).env };
}

export function releaseOf(system: SystemUnderTest, version: string): { env: Record<string, string> } {
  const release = system.releases[version];
  if (!release)
    throw new UsageError(
      `${system.configFile}: system.releases has no release '${version}' (has ${Object.keys(system.releases).join(', ')})`,
    );
  return release;
}

/** A canary body with `{{seq}}` (as a number when it is the whole string) and `{{runId}}` filled in. */
export function renderBody(body: unknown, seq: number, runId: string): unknown {
  if (typeof body === 'string') {
    if (/^\{\{\s*seq\s*\}\}$/.test(body)) return seq;
    return body.replace(/\{\{\s*seq\s*\}\}/g, String(seq)).replace(/\{\{\s*runId\s*\}\}/g, runId);
  }
  if (Array.isArray(body)) return body.map((b) => renderBody(b, seq, runId));
  if (typeof body === 'object' && body !== null)
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, renderBody(v, seq, runId)]));
  return body;
}

/** The objectives of a drill: the scenario's, then the plan-wide ones of the config, then the config's per-drill. */
export function objectivesFor(system: SystemUnderTest | undefined, drillId: string): Objectives {
  if (!system) return {};
  return { ...system.objectives.plan, ...system.objectives.drills[drillId] };
}

/** Resolve a validated config into the system under test; a file it names that is missing is a UsageError. */
export function resolveSystem(config: Config, where: { display: string; dir: string }): SystemUnderTest {
  const { display, dir } = where;
  const s = config.system;
  if (!s)
    throw new UsageError(
      `${display}: system: required to run drills (the app, its releases; \`npx drill init\` writes a starting file)`,
    );
  const abs = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const mustExist = (field: string, p: string, what: string) => {
    if (!existsSync(abs(p))) throw new UsageError(`${display}: ${field}: no ${what} at ${p}`);
    return abs(p);
  };
  const local = s.local
    ? {
        command: s.local.command,
        cwd: mustExist('system.local.cwd', s.local.cwd, 'directory'),
        env: s.local.env,
      }
    : undefined;
  let docker: SystemUnderTest['docker'];
  if (s.docker) {
    const c = s.docker.compose;
    docker = {
      image: s.docker.image,
      port: s.docker.port,
      env: s.docker.env,
      ...(c
        ? {
            compose: {
              file: mustExist('system.docker.compose.file', c.file, 'compose file'),
              services: checkServices(display, abs(c.file), c.file, c.services),
              run: c.run,
              env: c.env,
            },
          }
        : {}),
      ...(s.docker.build
        ? {
            build: {
              packages: s.docker.build.packages,
              copy: s.docker.build.copy.map((p, i) =>
                mustExist(`system.docker.build.copy.${i}`, p, 'file or directory'),
              ),
              workdir: s.docker.build.workdir,
              command: s.docker.build.command,
            },
          }
        : {}),
    };
  }
  let runbook: Runbook | undefined;
  const blocks = config.runbook?.blocks ?? {};
  if (config.runbook) {
    const file = mustExist('runbook.file', config.runbook.file, 'runbook');
    runbook = withBlockMap(loadRunbook(file, displayOf(file)), blocks, display);
  }
  return {
    configFile: display,
    dir,
    name: s.name,
    ...(local ? { local } : {}),
    ...(docker ? { docker } : {}),
    ...(s.kube ? { kube: s.kube.readinessPath ? { readinessPath: s.kube.readinessPath } : {} } : {}),
    tools: s.tools.map((t, i) => mustExist(`system.tools.${i}`, t, 'directory')),
    releases: Object.fromEntries(Object.entries(s.releases).map(([k, v]) => [k, { env: v.env }])),
    health: {
      path: config.health.path,
      status: config.health.status,
      ...(config.health.bodyIncludes !== undefined ? { bodyIncludes: config.health.bodyIncludes } : {}),
      ...(config.health.interval !== undefined ? { intervalMs: parseDuration(config.health.interval) } : {}),
      ...(config.health.version ? { version: releaseProbe(config.health.version) } : {}),
    },
    canary: config.canary ?? { through: 'database' },
    ...(runbook ? { runbook } : {}),
    runbookBlocks: blocks,
    objectives: {
      plan: pick(config.objectives ?? {}),
      drills: Object.fromEntries(
        Object.entries(config.objectives?.drills ?? {}).map(([k, v]) => [k, pick(v)]),
      ),
    },
    images: {
      ...config.docker?.images,
      ...(s.postgres.image ? { postgres: s.postgres.image } : {}),
      ...(s.redis.image ? { redis: s.redis.image } : {}),
      ...(s.docker ? { app: s.docker.image } : {}),
    },
    ...(s.postgres.version ? { postgresVersion: s.postgres.version } : {}),
    ...(config.checklist ? { checklist: config.checklist } : {}),
    ...(config.data ? { data: config.data } : {}),
    ...(config.cache ? { cache: config.cache } : {}),
  };
}

function pick(o: Objectives): Objectives {
  return { ...(o.rto ? { rto: o.rto } : {}), ...(o.rpo ? { rpo: o.rpo } : {}) };
}

/** The runbook path as a report shows it: relative to the working directory when inside it. */
function displayOf(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/**
 * The runbook seen through the config's block map: each of drillbook's step ids that the map names finds the
 * user's block under it. A mapped id the document does not have is the config's error.
 */
export function withBlockMap(doc: Runbook, map: Readonly<Record<string, string>>, display: string): Runbook {
  if (Object.keys(map).length === 0) return doc;
  const blocks = new Map(doc.blocks);
  for (const [step, id] of Object.entries(map)) {
    const block = doc.blocks.get(id);
    if (!block)
      throw new UsageError(
        `${display}: runbook.blocks.${step}: names block id=${id}, which ${doc.path} does not have (has ${[...doc.blocks.keys()].join(', ')})`,
      );
    blocks.set(step, block);
  }
  return { ...doc, blocks };
}

/** The compose file's services, and each role's service checked against them. */
function checkServices<S extends Record<string, string | undefined>>(
  display: string,
  file: string,
  shown: string,
  services: S,
): S {
  const names = composeServices(file, shown);
  for (const [role, service] of Object.entries(services)) {
    if (service !== undefined && !names.includes(service))
      throw new UsageError(
        `${display}: system.docker.compose.services.${role}: names service '${service}', which ${shown} does not have (has ${names.join(', ')})`,
      );
  }
  return services;
}

/** The service names of a compose file. */
export function composeServices(file: string, shown = file): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${shown}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (typeof services !== 'object' || services === null)
    throw new UsageError(`${shown}: services: expected a map of services`);
  return Object.keys(services);
}

/** Where the app names the release it serves: a GET path, and the JSON field and/or header that hold it. */
export interface ReleaseProbe {
  path: string;
  field?: string;
  header?: string;
}

function releaseProbe(v: {
  path: string;
  field?: string | undefined;
  header?: string | undefined;
}): ReleaseProbe {
  return {
    path: v.path,
    ...(v.field !== undefined ? { field: v.field } : {}),
    ...(v.header !== undefined ? { header: v.header } : {}),
  };
}
