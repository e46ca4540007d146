/**
 * The docker estate through the system's own compose file (`system.docker.compose`): the user's file is never
 * edited. drillbook writes an override beside the run (`compose.override.json` in the run directory) that adds
 * what a drill needs to the mapped services (the image each role runs here, drillbook's program for the database
 * and the cache, the app's environment and release tag, the run's labels, network, container names and published
 * ports, `restart: "no"`) and adds the services a drill needs around them (`drill-postgres-standby`,
 * `drill-router`, `drill-redis` when the file has no cache, a spare server per restore). `docker-compose config`
 * merges the two files as compose does; the merged project keeps only those services, with the published ports,
 * networks and dependencies drillbook gave them (compose appends port lists, so the user's fixed host ports would
 * otherwise collide between runs), and is written as `compose.run.json`. Each role is then started alone with
 * `docker-compose up -d --no-deps <service>`, in the order the estate needs.
 *
 * `docker-compose` (v1, the standalone program) is driven directly: testcontainers' DockerComposeEnvironment
 * runs the `docker compose` plugin (v2) and starts every service at once, waiting for listening ports.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { run } from '../../core/exec.ts';
import { CommandError, PrerequisiteError, UsageError } from '../../core/errors.ts';
import { renderEnv, type SystemUnderTest } from '../../config/system.ts';
import type { ContainerSpec } from './container.ts';

export const COMPOSE_REMEDY = 'apt-get install docker-compose (or pip install docker-compose)';

/** Which compose service each estate role is: the user's mapped services, drillbook's own for the rest. */
export function serviceFor(
  role: string,
  mapped: { database: string; cache?: string | undefined; app: string },
): string {
  if (role === 'postgres-primary') return mapped.database;
  if (role === 'app') return mapped.app;
  if (role === 'redis' && mapped.cache) return mapped.cache;
  return `drill-${role}`;
}

/** `$` is compose's interpolation sigil: a literal one is `$$` in a compose file. */
const esc = (s: string) => s.replace(/\$/g, '$$$$');

/** One service of the override, from the container a role needs; pure. */
export function overrideService(spec: ContainerSpec): Record<string, unknown> {
  return {
    image: spec.image,
    container_name: spec.name,
    labels: spec.labels,
    ...(spec.env
      ? { environment: Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, esc(v)])) }
      : {}),
    ...(spec.entrypoint ? { entrypoint: spec.entrypoint.map(esc) } : {}),
    ...(spec.cmd ? { command: spec.cmd.map(esc) } : {}),
    ...(spec.user ? { user: spec.user } : {}),
    ...(spec.stopSignal ? { stop_signal: spec.stopSignal } : {}),
    ...(spec.cgroupParent ? { cgroup_parent: spec.cgroupParent } : {}),
    restart: 'no',
    ports: spec.ports.map((p) => `127.0.0.1:${p.host}:${p.container}`),
    volumes: [
      ...(spec.binds ?? []).map((b) => `${b.source}:${b.target}:rw`),
      ...(spec.files ?? []).map((f) => `${f.source}:${f.target}:ro`),
      ...(spec.volumes ?? []).map((v) => `${v.name}:${v.target}${v.readOnly ? ':ro' : ''}`),
    ],
    networks: { default: { aliases: [spec.alias] } },
  };
}

/** The override file: every service the estate has declared so far, on the run's network; pure. */
export function overrideFile(
  services: ReadonlyMap<string, ContainerSpec>,
  network: string,
): Record<string, unknown> {
  const volumes = [...services.values()].flatMap((s) => s.volumes ?? []).map((v) => v.name);
  return {
    services: Object.fromEntries([...services].map(([name, spec]) => [name, overrideService(spec)])),
    networks: { default: { name: network, external: true } },
    ...(volumes.length
      ? { volumes: Object.fromEntries(volumes.map((v) => [v, { name: v, external: true }])) }
      : {}),
  };
}

/**
 * The project to run, from compose's merge of the user's file and the override: only the estate's services,
 * with the ports, networks and volumes the override gave them and no dependencies (drillbook starts each
 * itself); pure.
 */
export function runProject(
  merged: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const mergedServices = (merged.services ?? {}) as Record<string, Record<string, unknown>>;
  const ours = override.services as Record<string, Record<string, unknown>>;
  const services: Record<string, unknown> = {};
  for (const [name, mine] of Object.entries(ours)) {
    const svc = { ...(mergedServices[name] ?? {}) };
    delete svc.depends_on;
    delete svc.build;
    delete svc.links;
    delete svc.network_mode;
    svc.ports = mine.ports;
    svc.networks = mine.networks;
    // The user's own mounts stay (configuration files); the override's come after them.
    const userVolumes = ((svc.volumes as unknown[] | undefined) ?? []).filter(
      (v) => !(mine.volumes as unknown[]).includes(v),
    );
    svc.volumes = [...userVolumes, ...(mine.volumes as unknown[])];
    if ((svc.volumes as unknown[]).length === 0) delete svc.volumes;
    services[name] = svc;
  }
  return {
    version: merged.version ?? '3.9',
    services,
    networks: override.networks,
    ...(override.volumes ? { volumes: override.volumes } : {}),
  };
}

/**
 * One drill's compose project: the user's file, the override and the merged project in the run directory, and
 * the services started one at a time (compose runs are serialised: each rewrites the files).
 */
export class ComposeProject {
  private readonly services = new Map<string, ContainerSpec>();
  private queue: Promise<unknown> = Promise.resolve();
  private runDir: string;

  constructor(
    private readonly opts: {
      /** The user's compose file (absolute). */
      file: string;
      /** As messages name it (the config field). */
      field: string;
      project: string;
      network: string;
      /** Where the override and the merged project are written (set later by `placeIn`). */
      runDir: string;
      /** Variables for the user's file's interpolation. */
      env: Record<string, string>;
      timeoutMs: number;
    },
  ) {
    this.runDir = opts.runDir;
  }

  get overridePath(): string {
    return join(this.runDir, 'compose.override.json');
  }
  get runPath(): string {
    return join(this.runDir, 'compose.run.json');
  }
  placeIn(runDir: string): void {
    this.runDir = runDir;
  }

  /** The user's file as compose reads it (its variables interpolated): a UsageError naming the field if not. */
  async check(): Promise<void> {
    await this.compose(['-f', this.opts.file, 'config', '--quiet'], true);
  }

  get project(): string {
    return this.opts.project;
  }

  /** Declare (or redeclare: a deploy's new image) a service and start it alone; resolves once it runs. */
  up(service: string, spec: ContainerSpec): Promise<void> {
    const next = this.queue.then(async () => {
      this.services.set(service, spec);
      await this.render();
      await this.compose(['-f', this.runPath, 'up', '-d', '--no-deps', '--no-build', service]);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** `docker-compose down -v` of the project: its containers and the anonymous volumes; idempotent. */
  async down(): Promise<void> {
    await this.queue;
    if (this.services.size === 0 || !existsSync(this.runPath)) return;
    await this.compose(['-f', this.runPath, 'down', '-v', '--timeout', '5']);
  }

  private async render(): Promise<void> {
    const override = overrideFile(this.services, this.opts.network);
    // JSON, which compose reads as YAML: no YAML 1.1 surprises (`no` read as false) in what drillbook writes.
    writeFileSync(this.overridePath, `${JSON.stringify(override, null, 2)}\n`);
    const merged = await this.compose(['-f', this.opts.file, '-f', this.overridePath, 'config'], true);
    const project = runProject(parseYaml(merged) as Record<string, unknown>, override);
    writeFileSync(this.runPath, `${JSON.stringify(project, null, 2)}\n`);
  }

  private async compose(args: string[], userFile = false): Promise<string> {
    const full = [
      '--project-name',
      this.opts.project,
      '--project-directory',
      dirname(this.opts.file),
      ...args,
    ];
    let r;
    try {
      r = await run('docker-compose', full, {
        timeoutMs: this.opts.timeoutMs,
        check: false,
        env: { ...process.env, ...this.opts.env },
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new PrerequisiteError(
          'docker-compose not found (needed for system.docker.compose)',
          COMPOSE_REMEDY,
        );
      throw e;
    }
    if (r.exitCode !== 0) {
      const said = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).slice(-3).join(' | ');
      // What compose says about the user's file (interpolation, syntax) is the config's to fix.
      if (userFile)
        throw new UsageError(
          `${this.opts.field}: docker-compose config: ${said} (the file's variables go in system.docker.compose.env)`,
        );
      throw new CommandError(`docker-compose ${args.slice(2).join(' ')}`, r.exitCode, said);
    }
    return r.stdout;
  }
}

/**
 * Before a run starts: the system's compose file, with the variables drillbook gives it (`compose.env`, filled
 * with stand-in values of the same shape), must parse and interpolate as `docker-compose config` reads it.
 * A UsageError (exit 2) naming `system.docker.compose.file` otherwise; docker-compose missing is exit 3.
 */
export async function checkComposeFile(
  system: SystemUnderTest,
  compose: NonNullable<NonNullable<SystemUnderTest['docker']>['compose']>,
): Promise<void> {
  const version = Object.keys(system.releases)[0] ?? 'v1';
  const env = renderEnv(compose.env, {
    databaseUrl: 'postgres://drill:check@router:6432/app',
    redisUrl: 'redis://redis:6379',
    port: system.docker?.port ?? 3000,
    version,
    dbHost: 'router',
    dbPort: 6432,
    dbUser: 'drill',
    dbPassword: 'check',
    dbName: 'app',
  });
  await new ComposeProject({
    file: compose.file,
    field: `${system.configFile}: system.docker.compose.file`,
    project: 'drillbook-check',
    network: 'none',
    runDir: '',
    env,
    timeoutMs: 60_000,
  }).check();
}
