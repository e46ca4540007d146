import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { appEnv, type TemplateValues } from '../../config/system.ts';
import { UsageError } from '../../core/errors.ts';
import { assembleEstate } from '../assemble.ts';
import type { ProvisionContext } from '../backend.ts';
import { requirePgBinDir, requireRedisServer, unprivilegedUser } from '../host/binaries.ts';
import { freePorts } from '../host/ports.ts';
import { together } from '../host/together.ts';
import { createRunDir, removeRunDirAsync } from '../host/run-dir.ts';
import {
  APP_DATABASE,
  ensureAppDatabase,
  followPrimary,
  primarySettings,
  replicationRoute,
  STANDBY_ROLE,
  SUPERUSER,
} from '../postgres-config.ts';
import { RouterClient } from '../router/client.ts';
import type { Estate, Topology } from '../types.ts';
import { NodeService } from './node-service.ts';
import { appRole, ownedDir, routerRole } from './roles.ts';
import { AdoptedPostgres, LocalPostgres } from './postgres.ts';
import { startLocalMonitoring, type LocalMonitoring } from './monitoring.ts';
import { LocalRedis } from './redis.ts';
import { provisionLocalSites } from './sites.ts';

/** The estate's servers stop independently of each other: teardown stops them at once. */
const PROCESSES = { group: 'estate processes' };

/**
 * Provision the estate as processes on 127.0.0.1: Postgres primary (+ hot standby by streaming replication),
 * optionally redis-server, the traffic router, and the app behind it. Every resource registers its undo on the
 * teardown stack the moment it exists.
 */
export async function provisionLocal(topology: Topology, ctx: ProvisionContext): Promise<Estate> {
  if (topology.sites) return provisionLocalSites(topology, topology.sites, ctx);
  const binDir = requirePgBinDir();
  const redisBinary = topology.redis ? requireRedisServer() : undefined;
  const pgUser = unprivilegedUser();

  const runDir = createRunDir(ctx.runId, ctx.drillId);
  ctx.teardown.push(`remove run directory ${runDir}`, () => removeRunDirAsync(runDir));

  const archiveDir = join(runDir, 'wal-archive');
  const backupDir = join(runDir, 'backups');
  for (const dir of [archiveDir, backupDir]) ownedDir(dir, pgUser);

  const [
    pgPrimaryPort,
    pgStandbyPort,
    redisPort,
    appPort,
    adminPort,
    routerAppPort,
    routerDbPort,
    routerReplPort,
  ] = (await freePorts(8)) as [number, number, number, number, number, number, number, number];
  const password = randomBytes(18).toString('base64url');
  const common = {
    binDir,
    runDir,
    runId: ctx.runId,
    drillId: ctx.drillId,
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
  const primaryUp = (async () => {
    await primary.initPrimary(
      primarySettings(archiveDir, { listen_addresses: '127.0.0.1', unix_socket_directories: '' }),
    );
    ctx.teardown.push(
      `stop postgres-primary (port ${pgPrimaryPort})`,
      () => primary.stop(),
      undefined,
      PROCESSES,
    );
    await primary.start();
    await ensureAppDatabase(primary);
    ctx.note?.(`postgres-primary up on 127.0.0.1:${pgPrimaryPort}`);
  })();

  // The router starts while the primary is initialised (it needs nothing but its ports); both are up before
  // the standby, which follows the primary through the router's replication route.
  const routerService = new NodeService({
    name: 'router',
    entry: 'harness/estate/router/main.ts',
    env: {
      ROUTER_CONFIG: JSON.stringify({
        adminPort,
        routes: [
          { name: 'app', listen: routerAppPort, target: `127.0.0.1:${appPort}` },
          { name: 'db', listen: routerDbPort, target: `127.0.0.1:${pgPrimaryPort}` },
          ...(topology.postgres.standby
            ? [replicationRoute(routerReplPort, `127.0.0.1:${pgPrimaryPort}`)]
            : []),
        ],
      }),
    },
    runDir,
    runId: ctx.runId,
    drillId: ctx.drillId,
    healthUrl: `http://127.0.0.1:${adminPort}/health`,
    startTimeoutMs: ctx.startTimeoutMs,
  });
  ctx.teardown.push(
    `stop router (ports ${routerAppPort}, ${routerDbPort}, admin ${adminPort})`,
    () => routerService.proc.stop(),
    undefined,
    PROCESSES,
  );
  await together(primaryUp, routerService.start());
  const router = routerRole(routerService, new RouterClient(`http://127.0.0.1:${adminPort}`), {
    app: routerAppPort,
    db: routerDbPort,
  });

  // The standby (a base backup, then streaming) and the app (behind the router, on the primary) do not need
  // each other: they start at once.
  const standby = topology.postgres.standby
    ? new LocalPostgres({
        ...common,
        name: STANDBY_ROLE,
        port: pgStandbyPort,
        database: APP_DATABASE,
      })
    : undefined;
  const standbyUp = (async () => {
    if (!standby) return;
    await standby.initStandby(primary, { host: '127.0.0.1', port: routerReplPort });
    ctx.teardown.push(
      `stop postgres-standby (port ${pgStandbyPort})`,
      () => standby.stop(),
      undefined,
      PROCESSES,
    );
    await standby.start();
    await followPrimary(primary, topology.postgres.replication, ctx.startTimeoutMs);
    ctx.note?.(`postgres-standby streaming (${topology.postgres.replication}) on 127.0.0.1:${pgStandbyPort}`);
  })();

  const redis = redisBinary
    ? new LocalRedis({
        binary: redisBinary,
        runDir,
        runId: ctx.runId,
        drillId: ctx.drillId,
        port: redisPort,
        startTimeoutMs: ctx.startTimeoutMs,
      })
    : undefined;
  const redisUp = (async () => {
    if (!redis) return;
    ctx.teardown.push(`stop redis (port ${redisPort})`, () => redis.stop(), undefined, PROCESSES);
    await redis.start();
    ctx.note?.(`redis up on 127.0.0.1:${redisPort}`);
  })();

  // The system under test's app, as its config describes it: its command, directory and environment.
  const system = ctx.system;
  const local = system.local;
  if (!local)
    throw new UsageError(
      `${system.configFile}: system.local: required to run ${system.name} on the local backend`,
    );
  const appVersion = topology.app.version;
  const values = (version: string): TemplateValues => ({
    databaseUrl: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${routerDbPort}/${APP_DATABASE}`,
    ...(redis ? { redisUrl: redis.url() } : {}),
    port: appPort,
    version,
    dbHost: '127.0.0.1',
    dbPort: routerDbPort,
    dbUser: SUPERUSER,
    dbPassword: password,
    dbName: APP_DATABASE,
  });
  const envOf = (version: string) => appEnv(system, local.env, values(version));
  const appService = new NodeService({
    name: 'app',
    command: { argv: local.command, cwd: local.cwd },
    env: envOf(appVersion),
    runDir,
    runId: ctx.runId,
    drillId: ctx.drillId,
    healthUrl: `http://127.0.0.1:${appPort}${system.health.path}`,
    healthStatus: system.health.status,
    healthSource: `health.path in ${system.configFile}`,
    startTimeoutMs: ctx.startTimeoutMs,
  });
  const appUp = (async () => {
    // The app's cache is up before the app, as a deployment would order them.
    await redisUp;
    ctx.teardown.push(`stop app (port ${appPort})`, () => appService.stop(), undefined, PROCESSES);
    await appService.start();
    ctx.note?.(`app ${appVersion} ready behind the router on 127.0.0.1:${routerAppPort}`);
  })();
  await together(standbyUp, redisUp, appUp);
  const app = appRole(appService, appPort, appVersion, envOf);

  let monitoring: LocalMonitoring | undefined;
  if (topology.monitoring && ctx.monitoring) {
    monitoring = await startLocalMonitoring({
      runDir,
      runId: ctx.runId,
      drillId: ctx.drillId,
      settings: ctx.monitoring,
      teardown: ctx.teardown,
      teardownGroup: PROCESSES,
      startTimeoutMs: ctx.startTimeoutMs,
      appPort,
      appInstance: 'app-1',
      postgresDsn: `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${routerDbPort}/${APP_DATABASE}?sslmode=disable`,
      ...(redis ? { redisPort } : {}),
      ...(pgUser ? { dbUser: { uid: pgUser.uid, gid: pgUser.gid } } : {}),
    });
    ctx.note?.(
      `monitoring up: Prometheus ${monitoring.role.prometheusUrl}, Alertmanager ${monitoring.role.alertmanagerUrl} (time scale 1/${monitoring.role.scale})`,
    );
  }

  return assembleEstate({
    backend: 'local',
    runDir,
    toolDirs: system.tools,
    postgres: standby ? { primary, standby } : { primary },
    ...(redis ? { redis } : {}),
    app,
    router,
    endpoints: {
      app: `http://127.0.0.1:${routerAppPort}`,
      db: { ...primary.connection(), port: routerDbPort },
    },
    backups: { archiveDir, backupDir },
    // A restore's target: a port and an empty data directory the database's account owns; the server a
    // runbook block starts there is adopted through its postmaster.pid and stopped in teardown.
    async newSpare(name: string) {
      const [port] = (await freePorts(1)) as [number];
      const dataDir = join(runDir, name);
      ownedDir(dataDir, pgUser);
      const role = new AdoptedPostgres(name, port, dataDir, primary.connection());
      ctx.teardown.push(`stop ${name} (port ${port}) if a runbook block started it`, () => role.stop());
      return role;
    },
    hostDbUser: pgUser ? { uid: pgUser.uid, gid: pgUser.gid } : undefined,
    ...(monitoring ? { monitoring: monitoring.role } : {}),
    pids: () =>
      [
        primary.pids,
        standby?.pids ?? [],
        redis?.pids ?? [],
        routerService.pids,
        appService.pids,
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
      ...(standby ? [routerReplPort] : []),
      ...(monitoring?.ports ?? []),
    ],
  });
}
