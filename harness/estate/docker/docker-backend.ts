import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrerequisiteError } from '../../core/errors.ts';
import { scopeSignal, withAbortScope } from '../../core/abort-scope.ts';
import { labels as runLabels } from '../../core/session.ts';
import { assembleEstate } from '../assemble.ts';
import type { ProvisionContext } from '../backend.ts';
import { freePorts } from '../host/ports.ts';
import { createRunDir, removeRunDirAsync } from '../host/run-dir.ts';
import {
  APP_DATABASE,
  ensureAppDatabase,
  followPrimary,
  primarySettings,
  replicationName,
  replicationRoute,
  STANDBY_ROLE,
  standbySettings,
  SUPERUSER,
} from '../postgres-config.ts';
import { shellEnv } from '../shell-env.ts';
import type { Estate, Topology } from '../types.ts';
import { appEnv as appEnvOf, renderEnv } from '../../config/system.ts';
import { UsageError } from '../../core/errors.ts';
import { AddressBook, DockerApp, DockerRouter } from './app.ts';
import { appImagesProblem } from './build.ts';
import { bundle } from './bundle.ts';
import { containerCgroupParent } from './cpu-share.ts';
import { dockerImages, imagesRemedy } from './checks.ts';
import { gone, inspectImage, LABEL_ROLE, requireEngine } from './engine.ts';
import { containerSite } from './exec-site.ts';
import { appImage } from './images.ts';
import { ComposeProject, serviceFor } from './compose.ts';
import type { ContainerSpec } from './container.ts';
import { systemImage, systemImagesProblem } from './system-image.ts';
import {
  DockerPostgres,
  createSpare,
  DockerSparePostgres,
  imagePostgresUser,
  PG_ARCHIVE,
  PG_BACKUPS,
  PG_CONTAINER_PATH,
  PG_PORT,
} from './postgres.ts';
import { DockerRedis, REDIS_PORT } from './redis.ts';
import { together } from '../host/together.ts';
import {
  containerVolume,
  DB_VOLUME_BYTES,
  DB_VOLUME_PATH,
  startDockerMonitoring,
  type DockerMonitoring,
} from './monitoring.ts';
import { monitoringImage } from './monitoring-image.ts';
import { provisionDockerSites } from './sites.ts';

/** Ports inside the router container (published on 127.0.0.1 at free host ports). */
const ROUTER = { admin: 9000, app: 8080, db: 6432, repl: 6433 };

/**
 * Provision the estate as containers (testcontainers) on one network of its own: Postgres primary (+ a hot
 * standby by streaming replication, WAL archiving inside the primary's container), optionally Redis, the
 * router and the app of the requested release. Every container and the network carry the run-id and drill
 * labels; each registers its removal the moment it exists, and a last sweep by label removes whatever a
 * runbook block created in between.
 */
export async function provisionDocker(topology: Topology, ctx: ProvisionContext): Promise<Estate> {
  if (topology.sites) return provisionDockerSites(topology, topology.sites, ctx);
  const d = await requireEngine();
  const images = await dockerImages();
  for (const role of ['postgres', 'node', ...(topology.redis ? (['redis'] as const) : [])] as const) {
    if (!(await inspectImage(d, images[role])))
      throw new PrerequisiteError(`image ${images[role]} is not on the Docker engine`, imagesRemedy());
  }
  // The system under test's app, as its config describes it for containers.
  const system = ctx.system;
  const appSpec = system.docker;
  if (!appSpec)
    throw new UsageError(
      `${system.configFile}: system.docker: required to run ${system.name} on the docker backend`,
    );
  // Through the system's own compose file (a generated override), or drillbook's own containers.
  const composed = appSpec.compose?.run ? appSpec.compose : undefined;
  const stale = composed ? await systemImagesProblem(d, system) : await appImagesProblem(d, images);
  if (stale) throw new PrerequisiteError(stale, imagesRemedy());
  const imageOfRelease = (v: string) => (composed ? systemImage(system, v) : appImage(images, v));
  const password = randomBytes(18).toString('base64url');
  // The values the app's environment and the compose file's variables are made of.
  const templateValues = (version: string) => ({
    databaseUrl: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@router:${ROUTER.db}/${APP_DATABASE}`,
    ...(topology.redis ? { redisUrl: `redis://redis:${REDIS_PORT}` } : {}),
    port: appSpec.port,
    version,
    dbHost: 'router',
    dbPort: ROUTER.db,
    dbUser: SUPERUSER,
    dbPassword: password,
    dbName: APP_DATABASE,
  });
  const network = `drillbook-${ctx.runId}-${ctx.drillId}`;
  const composeFile = composed
    ? new ComposeProject({
        file: composed.file,
        field: `${system.configFile}: system.docker.compose.file`,
        project: network,
        network,
        runDir: '',
        env: renderEnv(composed.env, templateValues(topology.app.version)),
        timeoutMs: ctx.startTimeoutMs,
      })
    : undefined;
  // The user's file must interpolate and parse before anything is started (exit 2 naming the field).
  await composeFile?.check();
  const appContainerPort = appSpec.port;
  const labels = runLabels(ctx.runId, ctx.drillId);
  const runDir = createRunDir(ctx.runId, ctx.drillId);
  ctx.teardown.push(`remove run directory ${runDir}`, () => removeRunDirAsync(runDir));
  // The WAL archive and the backups are the run directory's, bind-mounted into the primary and every spare
  // server: owned by the image's postgres account, which writes them there (and by host blocks run as root).
  const archiveDir = join(runDir, 'wal-archive');
  const backupDir = join(runDir, 'backups');
  for (const dir of [archiveDir, backupDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.getuid?.() === 0) {
      const imageUser = await imagePostgresUser(images.postgres, labels);
      chownSync(dir, imageUser.uid, imageUser.gid);
    } else {
      // Not root: the directory cannot be given to the container's account; let it in (the run dir stays 0700).
      chmodSync(dir, 0o777);
    }
  }
  const binds = [
    { source: archiveDir, target: PG_ARCHIVE },
    { source: backupDir, target: PG_BACKUPS },
  ];

  composeFile?.placeIn(runDir);
  await d.createNetwork({ Name: network, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
  ctx.teardown.push(`remove network ${network}`, async () => {
    try {
      await d.getNetwork(network).remove();
    } catch (e) {
      if (!gone(e)) throw e;
    }
  });
  // Runs before the network's removal: the compose project's containers (and what `down -v` removes with them).
  if (composeFile)
    ctx.teardown.push(`docker-compose down ${composeFile.project}`, () => composeFile.down(), 60_000);
  // With monitoring, the database's size-limited volume: a Docker volume of the tmpfs kind with a fixed size, owned
  // by the image's database account (removed after every container that mounts it).
  const withMonitoring = Boolean(topology.monitoring && ctx.monitoring);
  const dbVolume = withMonitoring ? `${network}-db-volume` : undefined;
  if (dbVolume) {
    const owner = await imagePostgresUser(images.postgres, labels);
    await d.createVolume({
      Name: dbVolume,
      Driver: 'local',
      DriverOpts: {
        type: 'tmpfs',
        device: 'tmpfs',
        o: `size=${DB_VOLUME_BYTES},uid=${owner.uid},gid=${owner.gid},mode=0700`,
      },
      Labels: labels,
    });
    ctx.teardown.push(`remove volume ${dbVolume}`, async () => {
      try {
        await d.getVolume(dbVolume).remove({ force: true });
      } catch (e) {
        if (!gone(e)) throw e;
      }
    });
  }
  // Runs before the network's removal: whatever else carries this drill's labels (a runbook block's container).
  ctx.teardown.push(
    `remove every container labelled ${labels['drillbook.run-id']} / ${ctx.drillId}`,
    async () => {
      const left = await d.listContainers({
        all: true,
        filters: JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) }),
      });
      await Promise.all(
        left.map((c) =>
          d
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch((e: unknown) => {
              if (!gone(e)) throw e;
            }),
        ),
      );
    },
  );

  const [pgPrimaryPort, pgStandbyPort, redisPort, appPort, adminPort, routerAppPort, routerDbPort] =
    (await freePorts(7)) as [number, number, number, number, number, number, number];
  const nameOf = (role: string) => `${network}-${role}`;
  // Each container a CPU cgroup of its own at the root where the engine would put them all under one (cpu-share.ts).
  const cgroupParent = await containerCgroupParent(d);
  const base = (role: string, alias: string, ports: { container: number; host: number }[]) => ({
    role,
    name: nameOf(role),
    network,
    alias,
    labels: { ...labels, [LABEL_ROLE]: role },
    ports,
    ...(cgroupParent ? { cgroupParent } : {}),
    startTimeoutMs: ctx.startTimeoutMs,
    ...(composeFile && composed
      ? {
          compose: {
            up: (spec: ContainerSpec) => composeFile.up(serviceFor(role, composed.services), spec),
          },
        }
      : {}),
  });
  const book = new AddressBook();
  const removeOnTeardown = (what: string, svc: { remove(): Promise<void> }) =>
    ctx.teardown.push(`remove container ${what}`, () => svc.remove(), 20_000, { group: 'containers' });

  const primary = new DockerPostgres({
    base: {
      ...base('postgres-primary', 'postgres-primary', [{ container: PG_PORT, host: pgPrimaryPort }]),
      image: images.postgres,
      binds,
      ...(dbVolume ? { volumes: [{ name: dbVolume, target: DB_VOLUME_PATH }] } : {}),
    },
    superuser: SUPERUSER,
    password,
    database: APP_DATABASE,
    conf: primarySettings(PG_ARCHIVE, { listen_addresses: '*' }),
  });
  book.add(pgPrimaryPort, primary.internalAddress);

  const startPrimary = async () => {
    removeOnTeardown(primary.spec.name, primary);
    await primary.create();
    await ensureAppDatabase(primary);
    ctx.note?.(`postgres-primary up in container ${primary.spec.name} (127.0.0.1:${pgPrimaryPort})`);
  };
  // The standby follows the primary through the router's replication route. Its container starts with the
  // others (creating one costs the engine ~0.4 s here) and its entrypoint waits for the route to answer; should
  // the primary or the router fail to start, the standby's wait ends at once instead of at its deadline.
  const startStandby = async (upstreamUp: Promise<unknown>): Promise<DockerPostgres | undefined> => {
    if (!topology.postgres.standby) return undefined;
    const standby = new DockerPostgres({
      base: {
        ...base(STANDBY_ROLE, STANDBY_ROLE, [{ container: PG_PORT, host: pgStandbyPort }]),
        image: images.postgres,
      },
      superuser: SUPERUSER,
      password,
      database: APP_DATABASE,
      conf: standbySettings({ host: 'router', port: ROUTER.repl }, password),
      upstream: { alias: 'postgres-primary', slot: replicationName(STANDBY_ROLE) },
    });
    book.add(pgStandbyPort, standby.internalAddress);
    const upstreamFailed = new AbortController();
    upstreamUp.catch((e: unknown) => upstreamFailed.abort(e));
    const outer = scopeSignal();
    removeOnTeardown(standby.spec.name, standby);
    await withAbortScope(
      outer ? AbortSignal.any([outer, upstreamFailed.signal]) : upstreamFailed.signal,
      () => standby.create(),
    );
    await upstreamUp;
    await followPrimary(primary, topology.postgres.replication, ctx.startTimeoutMs);
    ctx.note?.(
      `postgres-standby streaming (${topology.postgres.replication}) in container ${standby.spec.name}`,
    );
    return standby;
  };

  const redis = topology.redis
    ? new DockerRedis({
        ...base('redis', 'redis', [{ container: REDIS_PORT, host: redisPort }]),
        image: images.redis,
      })
    : undefined;
  const startRedis = async () => {
    if (!redis) return;
    removeOnTeardown(redis.spec.name, redis);
    await redis.create();
    ctx.note?.(`redis up in container ${redis.spec.name} (127.0.0.1:${redisPort})`);
  };

  book.add(appPort, `app:${appContainerPort}`);
  const routerBundle = join(runDir, 'router.mjs');
  const router = new DockerRouter(
    {
      ...base('router', 'router', [
        { container: ROUTER.admin, host: adminPort },
        { container: ROUTER.app, host: routerAppPort },
        { container: ROUTER.db, host: routerDbPort },
      ]),
      image: images.node,
      user: 'nobody',
      cmd: ['node', '/drill/router.mjs'],
      files: [{ source: routerBundle, target: '/drill/router.mjs' }],
      env: {
        ROUTER_CONFIG: JSON.stringify({
          host: '0.0.0.0',
          adminPort: ROUTER.admin,
          routes: [
            { name: 'app', listen: ROUTER.app, target: `app:${appContainerPort}` },
            { name: 'db', listen: ROUTER.db, target: primary.internalAddress },
            ...(topology.postgres.standby ? [replicationRoute(ROUTER.repl, primary.internalAddress)] : []),
          ],
        }),
      },
    },
    { app: routerAppPort, db: routerDbPort },
    book,
  );
  const startRouter = async () => {
    await bundle('harness/estate/router/main.ts', routerBundle);
    removeOnTeardown(router.spec.name, router);
    await router.create();
  };

  // A release is the image's tag and carries its own behaviour: the container gets the app's environment only
  // (the release's variables would pin every later tag to this one's through the runbook's env file).
  const appEnv = appEnvOf(
    { ...system, releases: { [topology.app.version]: { env: {} } } },
    appSpec.env,
    templateValues(topology.app.version),
  );

  // What the runbook's Docker deployment commands need to recreate the app like `docker compose up -d` does.
  const envFile = join(runDir, 'backend.env');
  writeFileSync(
    envFile,
    Object.entries(appEnv)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    { mode: 0o600 },
  );
  const labelFile = join(runDir, 'backend.labels');
  writeFileSync(
    labelFile,
    Object.entries({ ...labels, [LABEL_ROLE]: 'app' })
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const app = new DockerApp(
    { ...base('app', 'app', [{ container: appContainerPort, host: appPort }]), env: appEnv },
    imageOfRelease,
    topology.app.version,
    { path: system.health.path, status: system.health.status, source: `health.path in ${system.configFile}` },
  );
  async function startApp(): Promise<void> {
    removeOnTeardown(app.containerName, app);
    await app.create();
    ctx.note?.(
      `app ${topology.app.version} (${imageOfRelease(topology.app.version)})${composeFile && composed ? ` as service ${composed.services.app} of ${composeFile.runPath}` : ''} ready behind the router on 127.0.0.1:${routerAppPort}`,
    );
  }

  // The primary, Redis and the router do not depend on each other: they start together. The standby needs the
  // primary and the router; the app needs the router, the primary and Redis, not the standby: those two start
  // together next. Every part is waited for, also when another failed (see `together`).
  const primaryUp = startPrimary();
  const routerUp = startRouter();
  const redisUp = startRedis();
  const standbyUp = startStandby(together(primaryUp, routerUp));
  const appUp = (async () => {
    await together(primaryUp, routerUp, redisUp);
    await startApp();
  })();
  const [, , , standby] = await together(primaryUp, routerUp, redisUp, standbyUp, appUp);

  let monitoring: DockerMonitoring | undefined;
  if (withMonitoring && ctx.monitoring) {
    monitoring = await startDockerMonitoring({
      d,
      runDir,
      network,
      nameOf,
      labels,
      image: monitoringImage(),
      settings: ctx.monitoring,
      teardown: ctx.teardown,
      teardownGroup: { group: 'containers' },
      startTimeoutMs: ctx.startTimeoutMs,
      appTarget: `app:${appContainerPort}`,
      appInstance: 'app-1',
      postgresDsn: `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@router:${ROUTER.db}/${APP_DATABASE}?sslmode=disable`,
      ...(redis ? { redisTarget: `redis:${REDIS_PORT}` } : {}),
      ...(dbVolume ? { dbVolume } : {}),
    });
    ctx.note?.(
      `monitoring up in containers: Prometheus ${monitoring.role.prometheusUrl}, Alertmanager ${monitoring.role.alertmanagerUrl} (time scale 1/${monitoring.role.scale})`,
    );
  }

  const conn = primary.connection();
  return assembleEstate({
    backend: 'docker',
    runDir,
    toolDirs: system.tools,
    postgres: standby ? { primary, standby } : { primary },
    ...(redis ? { redis } : {}),
    app,
    router,
    endpoints: { app: `http://127.0.0.1:${routerAppPort}`, db: { ...conn, port: routerDbPort } },
    backups: { archiveDir, backupDir },
    ...(monitoring
      ? {
          monitoring: {
            ...monitoring.role,
            ...(dbVolume ? { dbVolume: containerVolume((cmd, user) => primary.exec(cmd, user)) } : {}),
          },
        }
      : {}),
    newSpare: (name: string) =>
      createSpare(
        { book, removeOnTeardown },
        (port) =>
          new DockerSparePostgres(
            { ...base(name, name, [{ container: port, host: port }]), image: images.postgres, binds },
            { user: conn.user, password: conn.password, database: conn.database },
          ),
        name,
        ctx.note,
      ),
    // as=postgres blocks run in the newest spare server's container (the restore target) if there is one,
    // else in the primary's: there the archive and backups are mounted and pg_ctl starts a server the
    // router can reach. Addresses are the estate network's.
    databaseSite: (spares) =>
      containerSite(
        { container: (spares.at(-1) ?? primary).spec.name, user: 'postgres', cwd: PG_BACKUPS },
        shellEnv({
          path: PG_CONTAINER_PATH,
          home: PG_BACKUPS,
          endpoint: { host: 'router', port: ROUTER.db },
          primary: { host: 'postgres-primary', port: PG_PORT },
          ...(standby ? { standby: { host: STANDBY_ROLE, port: PG_PORT } } : {}),
          ...(redis ? { redis: { host: 'redis', port: REDIS_PORT } } : {}),
          appUrl: `http://router:${ROUTER.app}`,
          backupDir: PG_BACKUPS,
          archiveDir: PG_ARCHIVE,
          credentials: { user: conn.user, database: conn.database, password: conn.password },
        }),
      ),
    // The Docker deployment: the app's image repository (releases are tags), its container, network, host
    // port, configuration and labels, as a compose project would hold them.
    hostEnv: {
      APP_IMAGE: imageOfRelease('x').replace(/:x$/, ''),
      BACKEND_CONTAINER: app.containerName,
      BACKEND_ALIAS: 'app',
      BACKEND_PORT: String(appPort),
      BACKEND_ENV_FILE: envFile,
      STACK_NETWORK: network,
      STACK_LABEL_FILE: labelFile,
      // A runbook block's `docker-compose` acts on the run's project (the merged file, its project name).
      ...(composeFile
        ? { COMPOSE_FILE: composeFile.runPath, COMPOSE_PROJECT_NAME: composeFile.project }
        : {}),
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    },
    pids: () =>
      [
        primary.pids,
        standby?.pids ?? [],
        redis?.pids ?? [],
        router.pids,
        app.pids,
        monitoring?.pids() ?? [],
      ].flat(),
    ports: [
      pgPrimaryPort,
      ...(standby ? [pgStandbyPort] : []),
      ...(redis ? [redisPort] : []),
      appPort,
      adminPort,
      routerAppPort,
      routerDbPort,
      ...(monitoring?.ports ?? []),
    ],
    async identity() {
      const appVersion = await app.runningVersion();
      const used: Record<string, string> = {
        postgres: images.postgres,
        ...(redis ? { redis: images.redis } : {}),
        router: images.node,
        app: imageOfRelease(appVersion),
        ...(monitoring ? { monitoring: monitoringImage() } : {}),
      };
      const ids: Record<string, string> = {};
      for (const [role, ref] of Object.entries(used)) {
        const id = (await inspectImage(d, ref).catch(() => undefined))?.id;
        ids[role] = id ? `${ref}@${id}` : ref;
      }
      return { appVersion, images: ids };
    },
  });
}
