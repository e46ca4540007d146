import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrerequisiteError } from '../../core/errors.ts';
import { poll } from '../../core/poll.ts';
import { labels as runLabels } from '../../core/session.ts';
import { findPgBinDir, unprivilegedUser } from '../local/binaries.ts';
import { databaseIdentity, endpointTarget } from '../shared.ts';
import type { ProvisionContext } from '../local/local-backend.ts';
import { PROJECT_ROOT } from '../local/node-service.ts';
import { freePorts } from '../local/ports.ts';
import { createRunDir, removeRunDir } from '../local/run-dir.ts';
import type { Estate, EstateIdentity, EstateResources, PostgresRole } from '../types.ts';
import { AddressBook, APP_PORT, DockerApp, DockerRouter } from './app.ts';
import { appImagesProblem } from './build.ts';
import { bundle } from './bundle.ts';
import { DOCKER_REMEDY, gone, inspectImage, LABEL_ROLE, requireEngine, sweep } from './engine.ts';
import {
  appImage,
  BUILT_IMAGES,
  IMAGE_ROLES,
  readImageConfig,
  resolveImages,
  type ImageSet,
} from './images.ts';
import {
  DockerPostgres,
  DockerSparePostgres,
  imagePostgresUser,
  PG_ARCHIVE,
  PG_BACKUPS,
  PG_CONTAINER_PATH,
  PG_PORT,
} from './postgres.ts';
import { DockerRedis, REDIS_PORT } from './redis.ts';

const SUPERUSER = 'drill';
const APP_DATABASE = 'app';
/** Ports inside the router container (published on 127.0.0.1 at free host ports). */
const ROUTER = { admin: 9000, app: 8080, db: 6432 };

/** Settings every Postgres of the estate gets (the local backend's, listening on the container's network). */
const PG_SETTINGS = {
  listen_addresses: '*',
  wal_level: 'replica',
  max_wal_senders: 10,
  max_replication_slots: 10,
  hot_standby: 'on',
  max_connections: 60,
  shared_buffers: '32MB',
  wal_keep_size: '64MB',
  wal_receiver_status_interval: '1s',
  log_line_prefix: '%m [%p] ',
  log_min_messages: 'warning',
};

/** The images this machine would run, with what is present (async: one inspect per built image). */
export async function dockerImages(env: NodeJS.ProcessEnv = process.env): Promise<ImageSet> {
  const d = await requireEngine();
  const present = new Set<string>();
  for (const image of IMAGE_ROLES.map((r) => BUILT_IMAGES[r]))
    if (await inspectImage(d, image)) present.add(image);
  return resolveImages(env, readImageConfig(PROJECT_ROOT), (i) => present.has(i)).images;
}

/** Why the docker backend cannot run here (engine, images), or undefined when it can. */
export async function dockerProblem(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  try {
    const d = await requireEngine();
    const images = await dockerImages(env);
    for (const role of ['postgres', 'redis', 'node'] as const) {
      if (!(await inspectImage(d, images[role]))) return `image ${images[role]} is not on the engine`;
    }
    return await appImagesProblem(d, images);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Provision the estate as containers (testcontainers) on one network of its own: Postgres primary (+ a hot
 * standby by streaming replication, WAL archiving inside the primary's container), optionally Redis, the
 * router and the app of the requested release. Every container and the network carry the run-id and drill
 * labels; each registers its removal the moment it exists, and a last sweep by label removes whatever a
 * runbook block created in between.
 */
export async function provisionDocker(
  topology: import('../types.ts').Topology,
  ctx: ProvisionContext,
): Promise<Estate> {
  const d = await requireEngine();
  const images = await dockerImages();
  for (const role of ['postgres', 'node', ...(topology.redis ? (['redis'] as const) : [])] as const) {
    if (!(await inspectImage(d, images[role])))
      throw new PrerequisiteError(`image ${images[role]} is not on the Docker engine`, imagesRemedy());
  }
  const stale = await appImagesProblem(d, images);
  if (stale) throw new PrerequisiteError(stale, imagesRemedy());

  const labels = runLabels(ctx.runId, ctx.drillId);
  const runDir = createRunDir(ctx.runId, ctx.drillId);
  ctx.teardown.push(`remove run directory ${runDir}`, () => removeRunDir(runDir));
  // The WAL archive and the backups are the run directory's, bind-mounted into the primary and every spare
  // server: owned by the image's postgres account, which writes them there (and by host blocks run as root).
  const archiveDir = join(runDir, 'wal-archive');
  const backupDir = join(runDir, 'backups');
  const pgUser = unprivilegedUser();
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

  const network = `drillbook-${ctx.runId}-${ctx.drillId}`;
  await d.createNetwork({ Name: network, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
  ctx.teardown.push(`remove network ${network}`, async () => {
    try {
      await d.getNetwork(network).remove();
    } catch (e) {
      if (!gone(e)) throw e;
    }
  });
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
  const password = randomBytes(18).toString('base64url');
  const nameOf = (role: string) => `${network}-${role}`;
  const base = (role: string, alias: string, ports: { container: number; host: number }[]) => ({
    role,
    name: nameOf(role),
    network,
    alias,
    labels: { ...labels, [LABEL_ROLE]: role },
    ports,
    startTimeoutMs: ctx.startTimeoutMs,
  });
  const book = new AddressBook();
  const removeOnTeardown = (what: string, svc: { remove(): Promise<void> }) =>
    ctx.teardown.push(`remove container ${what}`, () => svc.remove(), 20_000);

  const primary = new DockerPostgres({
    base: {
      ...base('postgres-primary', 'postgres-primary', [{ container: PG_PORT, host: pgPrimaryPort }]),
      image: images.postgres,
      binds,
    },
    superuser: SUPERUSER,
    password,
    database: APP_DATABASE,
    conf: {
      ...PG_SETTINGS,
      archive_mode: 'on',
      archive_command: `test ! -f '${PG_ARCHIVE}/%f' && cp '%p' '${PG_ARCHIVE}/%f'`,
    },
  });
  book.add(pgPrimaryPort, primary.internalAddress);

  const startDatabases = async (): Promise<DockerPostgres | undefined> => {
    removeOnTeardown(primary.spec.name, primary);
    await primary.create();
    await primary.adminQuery(`CREATE DATABASE ${APP_DATABASE}`);
    ctx.note?.(`postgres-primary up in container ${primary.spec.name} (127.0.0.1:${pgPrimaryPort})`);
    if (!topology.postgres.standby) return undefined;
    const standby = new DockerPostgres({
      base: {
        ...base('postgres-standby', 'postgres-standby', [{ container: PG_PORT, host: pgStandbyPort }]),
        image: images.postgres,
      },
      superuser: SUPERUSER,
      password,
      database: APP_DATABASE,
      conf: {
        primary_conninfo: `host=postgres-primary port=${PG_PORT} user=${SUPERUSER} password=${password} application_name=postgres_standby`,
        primary_slot_name: 'postgres_standby',
      },
      upstream: { alias: 'postgres-primary', slot: 'postgres_standby' },
    });
    book.add(pgStandbyPort, standby.internalAddress);
    removeOnTeardown(standby.spec.name, standby);
    await standby.create();
    await waitReplication(primary, 'streaming', ctx.startTimeoutMs);
    if (topology.postgres.replication === 'sync') {
      await primary.query(`ALTER SYSTEM SET synchronous_standby_names = 'postgres_standby'`);
      await primary.query('SELECT pg_reload_conf()');
      await waitReplication(primary, 'sync', ctx.startTimeoutMs);
    }
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

  book.add(appPort, `app:${APP_PORT}`);
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
            { name: 'app', listen: ROUTER.app, target: `app:${APP_PORT}` },
            { name: 'db', listen: ROUTER.db, target: primary.internalAddress },
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

  // The databases, Redis and the router do not depend on each other: start them together.
  const [standby] = await Promise.all([startDatabases(), startRedis(), startRouter()]);

  const appEnv = {
    DATABASE_URL: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@router:${ROUTER.db}/${APP_DATABASE}`,
    ...(redis ? { REDIS_URL: redis.internalUrl } : {}),
    APP_INSTANCE: 'app-1',
  };
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
    { ...base('app', 'app', [{ container: APP_PORT, host: appPort }]), env: appEnv },
    (v) => appImage(images, v),
    topology.app.version,
  );
  removeOnTeardown(app.containerName, app);
  await app.create();
  ctx.note?.(
    `app ${topology.app.version} (${appImage(images, topology.app.version)}) ready behind the router on 127.0.0.1:${routerAppPort}`,
  );

  const pgBin = findPgBinDir();
  const dbEndpoint = { ...primary.connection(), port: routerDbPort };
  const spares: DockerSparePostgres[] = [];
  const estate: Estate = {
    backend: 'docker',
    runDir,
    postgres: standby ? { primary, standby } : { primary },
    ...(redis ? { redis } : {}),
    app,
    router,
    endpoints: { app: `http://127.0.0.1:${routerAppPort}`, db: dbEndpoint },
    backups: { archiveDir, backupDir },
    async spare(name: string) {
      const existing = spares.find((r) => r.name === name);
      if (existing) return existing;
      const [port] = (await freePorts(1)) as [number];
      const conn = primary.connection();
      const role = new DockerSparePostgres(
        { ...base(name, name, [{ container: port, host: port }]), image: images.postgres, binds },
        { user: conn.user, password: conn.password, database: conn.database },
      );
      book.add(port, role.internalAddress);
      spares.push(role);
      removeOnTeardown(role.spec.name, role);
      await role.create();
      ctx.note?.(
        `${name}: idle container ${role.spec.name} (127.0.0.1:${port}) for a runbook block's restore`,
      );
      return role;
    },
    shell() {
      const conn = primary.connection();
      // as=postgres blocks run in the newest spare server's container (the restore target) if there is one,
      // else in the primary's: there the archive and backups are mounted and pg_ctl starts a server the
      // router can reach. Addresses are the estate network's.
      const dbContainer = (spares.at(-1) ?? primary).spec.name;
      return {
        env: {
          PATH: [pgBin, join(PROJECT_ROOT, 'fixtures', 'app', 'bin'), process.env.PATH ?? '/usr/bin:/bin']
            .filter(Boolean)
            .join(':'),
          HOME: backupDir,
          LANG: 'C',
          DB_HOST: '127.0.0.1',
          DB_PORT: String(routerDbPort),
          DB_USER: conn.user,
          DB_NAME: conn.database,
          PGPASSWORD: conn.password,
          PGCONNECT_TIMEOUT: '3',
          BACKUP_DIR: backupDir,
          WAL_ARCHIVE: archiveDir,
          APP_URL: `http://127.0.0.1:${routerAppPort}`,
          PRIMARY_HOST: '127.0.0.1',
          PRIMARY_PORT: String(pgPrimaryPort),
          ...(standby ? { STANDBY_HOST: '127.0.0.1', STANDBY_PORT: String(pgStandbyPort) } : {}),
          ...(redis ? { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redisPort) } : {}),
          // The Docker deployment: the app's image repository (releases are tags), its container, network,
          // host port, configuration and labels, as a compose project would hold them.
          APP_IMAGE: images.app,
          BACKEND_CONTAINER: app.containerName,
          BACKEND_ALIAS: 'app',
          BACKEND_PORT: String(appPort),
          BACKEND_ENV_FILE: envFile,
          STACK_NETWORK: network,
          STACK_LABEL_FILE: labelFile,
          ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
        },
        cwd: backupDir,
        ...(pgUser ? { dbUser: { uid: pgUser.uid, gid: pgUser.gid } } : {}),
        postgresExec: {
          container: dbContainer,
          user: 'postgres',
          cwd: PG_BACKUPS,
          env: {
            PATH: PG_CONTAINER_PATH,
            HOME: PG_BACKUPS,
            LANG: 'C',
            DB_HOST: 'router',
            DB_PORT: String(ROUTER.db),
            DB_USER: conn.user,
            DB_NAME: conn.database,
            PGPASSWORD: conn.password,
            PGCONNECT_TIMEOUT: '3',
            BACKUP_DIR: PG_BACKUPS,
            WAL_ARCHIVE: PG_ARCHIVE,
            APP_URL: `http://router:${ROUTER.app}`,
            PRIMARY_HOST: 'postgres-primary',
            PRIMARY_PORT: String(PG_PORT),
            ...(standby ? { STANDBY_HOST: 'postgres-standby', STANDBY_PORT: String(PG_PORT) } : {}),
            ...(redis ? { REDIS_HOST: 'redis', REDIS_PORT: String(REDIS_PORT) } : {}),
          },
        },
        secrets: [conn.password],
      };
    },
    authoritative(): Promise<PostgresRole> {
      return endpointTarget(router, [primary, standby, ...spares]);
    },
    async identity(): Promise<EstateIdentity> {
      const db = await estate.authoritative().catch(() => undefined);
      const dbIdentity = await databaseIdentity(db);
      const redisVersion = await redis?.version().catch(() => undefined);
      const appVersion = await app.runningVersion();
      const used: Record<string, string> = {
        postgres: images.postgres,
        ...(redis ? { redis: images.redis } : {}),
        router: images.node,
        app: appImage(images, appVersion),
      };
      const ids: Record<string, string> = {};
      for (const [role, ref] of Object.entries(used)) {
        const id = (await inspectImage(d, ref).catch(() => undefined))?.id;
        ids[role] = id ? `${ref}@${id}` : ref;
      }
      return {
        backend: 'docker',
        ...dbIdentity,
        ...(redisVersion ? { redisVersion } : {}),
        appVersion,
        images: ids,
        nodeVersion: process.version,
        platform: `${process.platform}-${process.arch}`,
      };
    },
    resources(): EstateResources {
      return {
        pids: [primary.pids, standby?.pids ?? [], redis?.pids ?? [], router.pids, app.pids].flat(),
        ports: [
          ...spares.map((s) => s.port),
          pgPrimaryPort,
          ...(standby ? [pgStandbyPort] : []),
          ...(redis ? [redisPort] : []),
          appPort,
          adminPort,
          routerAppPort,
          routerDbPort,
        ],
        dirs: [runDir],
      };
    },
  };
  return estate;
}

/** Every container, network and volume with this run's label still there after teardown: each is a leak. */
export async function findDockerLeaks(runId: string): Promise<string[]> {
  const d = await requireEngine();
  const { labelledResources } = await import('./engine.ts');
  const left = await labelledResources(d, runId);
  return [
    ...left.containers.map((c) => `container ${c.name} (${c.state}) still exists`),
    ...left.networks.map((n) => `network ${n.name} still exists`),
    ...left.volumes.map((v) => `volume ${v.name} still exists`),
  ];
}

export { sweep };

async function waitReplication(primary: DockerPostgres, want: 'streaming' | 'sync', timeoutMs: number) {
  const column = want === 'sync' ? 'sync_state' : 'state';
  await poll(
    async () => {
      const rows = await primary.query<{ v: string }>(
        `SELECT ${column} AS v FROM pg_stat_replication WHERE application_name = 'postgres_standby'`,
      );
      return rows[0]?.v === want;
    },
    { subject: `postgres_standby to be ${want} from the primary`, timeoutMs, intervalMs: 25 },
  );
}

function imagesRemedy(): string {
  return `run \`npx drill images build\` (builds them offline from Debian packages) or configure images in drillbook.config.json; ${DOCKER_REMEDY.split(', then')[0] ?? ''}`;
}
