import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EstateError } from '../../core/errors.ts';
import { poll } from '../../core/poll.ts';
import { databaseIdentity, endpointTarget } from '../shared.ts';
import type { TeardownStack } from '../../core/teardown.ts';
import { RouterClient } from '../router/client.ts';
import type {
  AppRole,
  Estate,
  EstateIdentity,
  PostgresRole,
  ProcessRole,
  RouterRole,
  Topology,
} from '../types.ts';
import { requirePgBinDir, requireRedisServer, unprivilegedUser, type PgUser } from './binaries.ts';
import { NodeService, PROJECT_ROOT } from './node-service.ts';
import { freePorts } from './ports.ts';
import { AdoptedPostgres, LocalPostgres } from './postgres.ts';
import { LocalRedis } from './redis.ts';
import { createRunDir, removeRunDir } from './run-dir.ts';

export interface ProvisionContext {
  runId: string;
  drillId: string;
  teardown: TeardownStack;
  startTimeoutMs: number;
  /** Progress inside the provision phase ("primary up", "standby streaming"). */
  note?: (message: string) => void;
}

const SUPERUSER = 'drill';
const APP_DATABASE = 'app';

/** Settings every Postgres of the estate gets; a standby inherits them through pg_basebackup. */
const PG_SETTINGS = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  wal_level: 'replica',
  max_wal_senders: 10,
  max_replication_slots: 10,
  hot_standby: 'on',
  max_connections: 60,
  shared_buffers: '32MB',
  wal_keep_size: '64MB',
  // Report replication state to the primary often, so "streaming" and "sync" are seen quickly.
  wal_receiver_status_interval: '1s',
  log_line_prefix: '%m [%p] ',
  log_min_messages: 'warning',
};

/**
 * Provision the estate as processes on 127.0.0.1: Postgres primary (+ hot standby by streaming replication),
 * optionally redis-server, the traffic router, and the app behind it. Every resource registers its undo on the
 * teardown stack the moment it exists.
 */
export async function provisionLocal(topology: Topology, ctx: ProvisionContext): Promise<Estate> {
  const binDir = requirePgBinDir();
  const redisBinary = topology.redis ? requireRedisServer() : undefined;
  const pgUser = unprivilegedUser();

  const runDir = createRunDir(ctx.runId, ctx.drillId);
  ctx.teardown.push(`remove run directory ${runDir}`, () => removeRunDir(runDir));

  const archiveDir = join(runDir, 'wal-archive');
  const backupDir = join(runDir, 'backups');
  for (const dir of [archiveDir, backupDir]) ownedDir(dir, pgUser);

  const [pgPrimaryPort, pgStandbyPort, redisPort, appPort, adminPort, routerAppPort, routerDbPort] =
    (await freePorts(7)) as [number, number, number, number, number, number, number];
  const password = randomBytes(18).toString('base64url');
  const common = {
    binDir,
    runDir,
    runId: ctx.runId,
    user: pgUser,
    superuser: SUPERUSER,
    password,
    startTimeoutMs: ctx.startTimeoutMs,
  };

  const primary = new LocalPostgres({
    ...common,
    name: 'postgres-primary',
    port: pgPrimaryPort,
    database: APP_DATABASE,
  });
  await primary.initPrimary({
    ...PG_SETTINGS,
    // Continuous archiving, as the runbook's backup strategy requires: every completed WAL segment is copied
    // to the archive, never overwriting one already there.
    archive_mode: 'on',
    archive_command: `test ! -f '${archiveDir}/%f' && cp '%p' '${archiveDir}/%f'`,
  });
  ctx.teardown.push(`stop postgres-primary (port ${pgPrimaryPort})`, () => primary.stop());
  await primary.start();
  await primary.adminQuery(`CREATE DATABASE ${APP_DATABASE}`);
  ctx.note?.(`postgres-primary up on 127.0.0.1:${pgPrimaryPort}`);

  let standby: LocalPostgres | undefined;
  if (topology.postgres.standby) {
    standby = new LocalPostgres({
      ...common,
      name: 'postgres-standby',
      port: pgStandbyPort,
      database: APP_DATABASE,
    });
    await standby.initStandby(primary, {});
    const s = standby;
    ctx.teardown.push(`stop postgres-standby (port ${pgStandbyPort})`, () => s.stop());
    await standby.start();
    await waitReplication(primary, 'postgres_standby', 'streaming', ctx.startTimeoutMs);
    if (topology.postgres.replication === 'sync') {
      await primary.query(`ALTER SYSTEM SET synchronous_standby_names = 'postgres_standby'`);
      await primary.query('SELECT pg_reload_conf()');
      await waitReplication(primary, 'postgres_standby', 'sync', ctx.startTimeoutMs);
    }
    ctx.note?.(`postgres-standby streaming (${topology.postgres.replication}) on 127.0.0.1:${pgStandbyPort}`);
  }

  let redis: LocalRedis | undefined;
  if (redisBinary) {
    redis = new LocalRedis({
      binary: redisBinary,
      runDir,
      runId: ctx.runId,
      port: redisPort,
      startTimeoutMs: ctx.startTimeoutMs,
    });
    const r = redis;
    ctx.teardown.push(`stop redis (port ${redisPort})`, () => r.stop());
    await redis.start();
    ctx.note?.(`redis up on 127.0.0.1:${redisPort}`);
  }

  const routerService = new NodeService({
    name: 'router',
    entry: 'harness/estate/router/main.ts',
    env: {
      ROUTER_CONFIG: JSON.stringify({
        adminPort,
        routes: [
          { name: 'app', listen: routerAppPort, target: `127.0.0.1:${appPort}` },
          { name: 'db', listen: routerDbPort, target: `127.0.0.1:${pgPrimaryPort}` },
        ],
      }),
    },
    runDir,
    runId: ctx.runId,
    healthUrl: `http://127.0.0.1:${adminPort}/health`,
    startTimeoutMs: ctx.startTimeoutMs,
  });
  ctx.teardown.push(`stop router (ports ${routerAppPort}, ${routerDbPort}, admin ${adminPort})`, () =>
    routerService.proc.stop(),
  );
  await routerService.start();
  const router = routerRole(routerService, new RouterClient(`http://127.0.0.1:${adminPort}`), {
    app: routerAppPort,
    db: routerDbPort,
  });

  const appVersion = topology.app.version;
  const appService = new NodeService({
    name: 'app',
    entry: 'fixtures/app/server.ts',
    env: {
      PORT: String(appPort),
      DATABASE_URL: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${routerDbPort}/${APP_DATABASE}`,
      ...(redis ? { REDIS_URL: redis.url() } : {}),
      ...releaseEnv(appVersion),
      APP_INSTANCE: 'app-1',
    },
    runDir,
    runId: ctx.runId,
    healthUrl: `http://127.0.0.1:${appPort}/ready`,
    startTimeoutMs: ctx.startTimeoutMs,
  });
  ctx.teardown.push(`stop app (port ${appPort})`, () => appService.stop());
  await appService.start();
  const app = appRole(appService, appPort, appVersion);
  ctx.note?.(`app ${appVersion} ready behind the router on 127.0.0.1:${routerAppPort}`);

  const dbEndpoint = { ...primary.connection(), port: routerDbPort };
  const spares: AdoptedPostgres[] = [];
  const estate: Estate = {
    backend: 'local',
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
      const dataDir = join(runDir, name);
      ownedDir(dataDir, pgUser);
      const role = new AdoptedPostgres(name, port, dataDir, primary.connection());
      spares.push(role);
      ctx.teardown.push(`stop ${name} (port ${port}) if a runbook block started it`, () => role.stop());
      return role;
    },
    shell() {
      const conn = primary.connection();
      return {
        env: {
          // The database tools, then the app's own tools (its `migrate`), then the usual PATH.
          PATH: `${binDir}:${join(PROJECT_ROOT, 'fixtures', 'app', 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
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
        },
        cwd: backupDir,
        ...(pgUser ? { dbUser: { uid: pgUser.uid, gid: pgUser.gid } } : {}),
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
      return {
        backend: 'local',
        ...dbIdentity,
        ...(redisVersion ? { redisVersion } : {}),
        appVersion: app.version,
        nodeVersion: process.version,
        platform: `${process.platform}-${process.arch}`,
      };
    },
    resources() {
      return {
        pids: [
          primary.pids,
          standby?.pids ?? [],
          redis?.pids ?? [],
          routerService.pids,
          appService.pids,
        ].flat(),
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

async function waitReplication(
  primary: LocalPostgres,
  name: string,
  want: 'streaming' | 'sync',
  timeoutMs: number,
): Promise<void> {
  const column = want === 'sync' ? 'sync_state' : 'state';
  await poll(
    async () => {
      const rows = await primary.query<{ v: string }>(
        `SELECT ${column} AS v FROM pg_stat_replication WHERE application_name = $1`,
        [name],
      );
      return rows[0]?.v === want;
    },
    { subject: `${name} to be ${want} from the primary`, timeoutMs, intervalMs: 25 },
  );
}

function processRole(name: string, service: NodeService): ProcessRole {
  return {
    name,
    get pid() {
      return service.proc.pid;
    },
    running: () => service.proc.running(),
    signal: (sig) => service.proc.signal(sig),
    stop: () => service.stop(),
    restart: () => service.start(),
  };
}

function appRole(service: NodeService, port: number, initial: string): AppRole {
  let version = initial;
  return Object.assign(processRole('app', service), {
    port,
    get version() {
      return version;
    },
    async deploy(next: string) {
      await service.redeploy(releaseEnv(next));
      version = next;
    },
  });
}

/** A release of the demo app, as fixtures/app/releases.json describes it: its version and behaviour. */
function releaseEnv(version: string): Record<string, string> {
  const releases = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'fixtures', 'app', 'releases.json'), 'utf8'),
  ) as Record<string, { failMode?: string }>;
  const release = releases[version];
  if (!release)
    throw new EstateError(
      `no release ${version} in fixtures/app/releases.json (has ${Object.keys(releases).join(', ')})`,
    );
  return { APP_VERSION: version, APP_FAIL_MODE: release.failMode ?? 'none' };
}

function routerRole(
  service: NodeService,
  client: RouterClient,
  ports: { app: number; db: number },
): RouterRole {
  return Object.assign(processRole('router', service), {
    client,
    listenPort: (route: 'app' | 'db') => ports[route],
  });
}

/** A directory the database's OS account owns (it writes archives and backups there). */
function ownedDir(dir: string, user: PgUser | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dir, user.uid, user.gid);
}
