/**
 * `drill init`: a commented starting config. With `--compose FILE` it reads the compose file and maps its
 * services to roles by image (postgres -> database, redis -> cache, the rest with a published or exposed port ->
 * the app), asking nothing; every guess it made is a comment the user can check.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../core/errors.ts';

interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: unknown[];
  expose?: unknown[];
  environment?: Record<string, unknown> | string[];
}

export interface ComposeMapping {
  database: string;
  cache?: string;
  app: string;
  /** The app's image repository (without tag), when the compose file names one. */
  appImage?: string;
  /** The port the app listens on inside its container. */
  appPort: number;
  /** Variables the file requires (`${VAR:?...}`): drillbook must give them when it runs the file. */
  required: string[];
  /** The app's environment variable names that carry the database and cache addresses. */
  databaseVar?: string;
  redisVar?: string;
}

/** `${VAR:-default}` -> default, `${VAR}` -> '' (what compose substitutes without the variable set). */
function expand(s: string): string {
  return s.replace(/\$\{[A-Z_]\w*(?::?[-?]([^}]*))?\}/gi, (_, d: string | undefined) =>
    d !== undefined && !/^set /.test(d) ? d : '',
  );
}

function containerPort(spec: unknown): number | undefined {
  if (typeof spec === 'number') return spec;
  if (typeof spec === 'object' && spec !== null && 'target' in spec) return Number(spec.target);
  if (typeof spec !== 'string') return undefined;
  const last = expand(spec).split('/')[0]?.split(':').at(-1);
  const n = Number(last);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function envEntries(env: ComposeService['environment']): [string, string][] {
  if (!env) return [];
  if (Array.isArray(env))
    return env.map((e) => {
      const [k, ...v] = String(e).split('=');
      return [k ?? '', v.join('=')];
    });
  return Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v ?? '')]);
}

/** Map a compose file's services to roles by image. A file without a database or an app is a UsageError. */
export function mapCompose(text: string, shown: string): ComposeMapping {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new UsageError(`${shown}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const services = (doc as { services?: Record<string, ComposeService> } | null)?.services;
  if (typeof services !== 'object' || services === null)
    throw new UsageError(`${shown}: services: expected a map of services`);
  const entries = Object.entries(services);
  const imageOf = (s: ComposeService) => expand(s.image ?? '');
  const database = entries.find(([, s]) => /postgres/.test(imageOf(s)))?.[0];
  const cache = entries.find(([, s]) => /redis|(?:^|\/)valkey(?::|$)/.test(imageOf(s)))?.[0];
  if (!database)
    throw new UsageError(`${shown}: no service runs a postgres image (drillbook drills PostgreSQL)`);
  const rest = entries.filter(([n]) => n !== database && n !== cache);
  const withPort = rest.find(([, s]) => (s.ports?.length ?? 0) + (s.expose?.length ?? 0) > 0) ?? rest[0];
  if (!withPort)
    throw new UsageError(`${shown}: no service besides the database and the cache: no app to drill`);
  const [app, svc] = withPort;
  const appPort = containerPort(svc.ports?.[0]) ?? containerPort(svc.expose?.[0]) ?? 3000;
  const env = envEntries(svc.environment);
  const databaseVar = env.find(
    ([k, v]) => /postgres(?:ql)?:\/\//.test(v) || /DATABASE_URL|DB_URL|PG_?DSN/i.test(k),
  )?.[0];
  const redisVar = env.find(([k, v]) => /redis:\/\//.test(v) || /REDIS_URL/i.test(k))?.[0];
  const image = svc.image ? expand(svc.image).replace(/:[^/:]*$/, '') : undefined;
  const required = [...new Set([...text.matchAll(/\$\{([a-z_]\w*):?\?/gi)].map((r) => r[1] ?? ''))];
  return {
    required,
    database,
    ...(cache ? { cache } : {}),
    app,
    ...(image ? { appImage: image } : {}),
    appPort,
    ...(databaseVar ? { databaseVar } : {}),
    ...(redisVar ? { redisVar } : {}),
  };
}

/** The commented starting file; from a compose mapping when there is one. */
export function initConfig(opts: { compose?: { file: string; text: string } }): string {
  const m = opts.compose ? mapCompose(opts.compose.text, opts.compose.file) : undefined;
  const dbVar = m?.databaseVar ?? 'DATABASE_URL';
  const redisVar = m?.redisVar ?? 'REDIS_URL';
  const withCache = m ? m.cache !== undefined : true;
  const envLines = (indent: string, port: boolean) =>
    [
      ...(port ? [`PORT: '{{port}}'`] : []),
      `${dbVar}: '{{databaseUrl}}'`,
      ...(withCache ? [`${redisVar}: '{{redisUrl}}'`] : []),
    ]
      .map((l) => `${indent}${l}`)
      .join('\n');
  const services = m
    ? `{ database: ${m.database}${m.cache ? `, cache: ${m.cache}` : ''}, app: ${m.app} }`
    : '{ database: db, cache: redis, app: app }';
  return `# drillbook's config: the system its drills run against. Every field is described in drillbook's
# docs/config.md. Lines marked EDIT are guesses to check; \`npx drill run q1-db-failover\` tells you what is wrong.
version: 1

system:
  name: ${m?.app ?? 'my-service'}
  # local backend: how to start the app as a process (no shell). EDIT: your start command.
  local:
    command: [./start.sh]
    cwd: .
    # drillbook fills {{port}}, {{databaseUrl}}, {{redisUrl}}, {{version}}, {{dbHost}}, {{dbPort}}, {{dbUser}},
    # {{dbPassword}}, {{dbName}}.
    env:
${envLines('      ', true)}
  # docker backend: a container of a release image (<image>:<release>).${m?.appImage ? '' : ' EDIT: your image repository.'}
  docker:
    image: ${m?.appImage ?? 'my-org/my-service'}
    port: ${m?.appPort ?? 3000}
    # EDIT: the variables your app reads, as templates (these replace what your file gives the app service).
    env:
${envLines('      ', false)}
    compose:
      file: ${opts.compose?.file ?? 'docker-compose.yml'}
      # drillbook runs your file with a generated override: it adds the standby, the router and the spares
      # around these services, runs its own database program in the database service, and never edits your file.
      services: ${services}
${composeEnv(m?.required ?? [])}
    # How \`npx drill images build\` makes <image>:<release> offline (no registry): Debian packages on drillbook's
    # base image, your files, each release's env baked in. EDIT: the packages, files and command of your app
    # (or delete this and build the images your own way).
    build:
      packages: []
      copy: [.]
      command: [./start.sh]
  # The releases drills deploy: the first is started; a deploy drill rolls to another and back.
  # EDIT: a second, bad release (v2) if you drill a deploy rollback. On docker a release is an image tag.
  releases:
    v1: { env: {} }
  postgres: {}

# How to see it: EDIT the path that answers ${'`'}status${'`'} only while the app can serve (its database answers).
health:
  path: /health
  status: 200

# How to write to it. Through the database endpoint needs nothing of your app (drillbook owns a
# drillbook_canary table); through the app measures what the app itself acknowledges and loses:
#   through: app, method: POST, path: /items, body: { name: canary, run: '{{runId}}', seq: '{{seq}}' },
#   committed: [201], readBack: SELECT seq::text AS seq FROM items WHERE run = $1
canary:
  through: database

# The runbook whose blocks drills execute. Where your block ids differ from drillbook's, map them:
#   blocks: { failover-promote: promote-replica, failover-repoint: move-vip }
# EDIT: your runbook.
runbook:
  file: RUNBOOK.md
  blocks: {}

# Your DR plan's objectives: plan-wide, and per drill.
objectives:
  rto: 4h
  rpo: 1h
  drills:
    q1-db-failover: { rto: 30m }
`;
}

/** The compose file's required variables, given by drillbook: a password gets the estate's, the rest EDIT. */
function composeEnv(required: string[]): string {
  if (required.length === 0) return '      env: {}';
  return [
    "      # Your file requires these; drillbook fills {{dbPassword}} and the other templates of 'env'.",
    '      env:',
    ...required.map((v) =>
      /PASS/i.test(v) ? `        ${v}: '{{dbPassword}}'` : `        ${v}: '' # EDIT: a value for \${${v}}`,
    ),
  ].join('\n');
}

/** Read a compose file for `init --compose`, as a UsageError when it is not there. */
export function readCompose(path: string, shown: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`init: --compose: no compose file at ${shown}`);
  }
}
