/**
 * The local backend's two-site estate: each site a group of processes with its own directory in the run
 * directory. The primary site runs the Postgres primary (with `postgres.standby`, a streaming standby beside it
 * that archives into the shipped archive too), Redis and the app; its WAL segments are shipped into
 * the DR site by `archive_command` (the DR site's archive is the primary's), and its Redis snapshots by the
 * snapshot shipping. The DR site holds a Postgres standby made from the primary's base backup that restores
 * the shipped segments (or, in the streaming variant, follows the primary through the router's replication
 * route as well), a Redis that is not started, and the app, running but not serving (warm) or not started
 * (cold). The router stands in for global DNS / the load balancer in front of both sites.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { appEnv, type TemplateValues } from '../../config/system.ts';
import { EstateError, UsageError } from '../../core/errors.ts';
import { assembleEstate } from '../assemble.ts';
import type { ProvisionContext } from '../backend.ts';
import { requirePgBinDir, requireRedisServer, unprivilegedUser } from '../host/binaries.ts';
import { freePorts } from '../host/ports.ts';
import { createRunDir, removeRunDirAsync } from '../host/run-dir.ts';
import { loopbackPartition, partitionComment } from '../host/partition.ts';
import { allOf, primarySite, shippingLink, SnapshotShipper } from '../host/sites.ts';
import { together } from '../host/together.ts';
import {
  APP_DATABASE,
  ensureAppDatabase,
  DR_ROLE,
  drStandbySettings,
  followPrimary,
  primarySettings,
  replicationName,
  replicationRoute,
  shippingSettings,
  siteStandbySettings,
  SITES_WAL_SEGMENT_MB,
  STANDBY_ROLE,
  standbySettings,
  SUPERUSER,
} from '../postgres-config.ts';
import { RouterClient } from '../router/client.ts';
import type { DrSite, Estate, SitesTopology, Topology } from '../types.ts';
import { NodeService } from './node-service.ts';
import { AdoptedPostgres, LocalPostgres } from './postgres.ts';
import { LocalRedis } from './redis.ts';
import { appRole, ownedDir, routerRole } from './roles.ts';

export const PRIMARY_SITE = 'site-primary';
export const DR_SITE = 'site-dr';

/** The estate's servers stop independently of each other: teardown stops them at once. */
const PROCESSES = { group: 'estate processes' };

export async function provisionLocalSites(
  topology: Topology,
  sites: SitesTopology,
  ctx: ProvisionContext,
): Promise<Estate> {
  const binDir = requirePgBinDir();
  const redisBinary = topology.redis ? requireRedisServer() : undefined;
  const pgUser = unprivilegedUser();
  // The system under test's app, as its config describes it: its command, directory and environment.
  const system = ctx.system;
  const local = system.local;
  if (!local)
    throw new UsageError(
      `${system.configFile}: system.local: required to run ${system.name} on the local backend`,
    );

  const runDir = createRunDir(ctx.runId, ctx.drillId);
  ctx.teardown.push(`remove run directory ${runDir}`, () => removeRunDirAsync(runDir));
  const siteDir = (site: string) => {
    const dir = join(runDir, site);
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    return dir;
  };
  const primaryDir = siteDir(PRIMARY_SITE);
  const drDir = siteDir(DR_SITE);
  // The DR site's copy of the WAL archive (the primary ships into it) and of the Redis snapshots.
  const walDir = join(drDir, 'wal-archive');
  const snapshotDir = join(drDir, 'redis-snapshots');
  const backupDir = join(runDir, 'backups');
  for (const dir of [walDir, backupDir]) ownedDir(dir, pgUser);
  mkdirSync(snapshotDir, { recursive: true, mode: 0o700 });

  const [
    pgPort,
    drPgPort,
    redisPort,
    drRedisPort,
    appPort,
    drAppPort,
    adminPort,
    rAppPort,
    rDbPort,
    rReplPort,
    standbyPort,
  ] = (await freePorts(11)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const password = randomBytes(18).toString('base64url');
  const common = {
    binDir,
    runDir,
    runId: ctx.runId,
    drillId: ctx.drillId,
    user: pgUser,
    superuser: SUPERUSER,
    password,
    database: APP_DATABASE,
    startTimeoutMs: ctx.startTimeoutMs,
  };
  const streaming = sites.feed === 'streaming';
  // The router's replication route: the DR database's stream (streaming variant) and the primary site's standby.
  const replicating = streaming || topology.postgres.standby;

  const primary = new LocalPostgres({
    ...common,
    name: 'postgres-primary',
    port: pgPort,
    dataDir: join(primaryDir, 'postgres-primary'),
  });
  // The primary, the router and (below) the DR database and the apps start side by side where they can.
  const primaryUp = (async () => {
    await primary.initPrimary(
      {
        ...primarySettings(walDir, { listen_addresses: '127.0.0.1', unix_socket_directories: '' }),
        ...shippingSettings(sites.archiveTimeoutMs, walDir),
      },
      { walSegmentMb: SITES_WAL_SEGMENT_MB },
    );
    ctx.teardown.push(`stop postgres-primary (port ${pgPort})`, () => primary.stop(), undefined, PROCESSES);
    await primary.start();
    await ensureAppDatabase(primary);
    ctx.note?.(`${PRIMARY_SITE}: postgres-primary up on 127.0.0.1:${pgPort}, shipping WAL to ${DR_SITE}`);
  })();
  primaryUp.catch(() => undefined);

  const routerService = new NodeService({
    name: 'router',
    entry: 'harness/estate/router/main.ts',
    env: {
      ROUTER_CONFIG: JSON.stringify({
        adminPort,
        routes: [
          { name: 'app', listen: rAppPort, target: `127.0.0.1:${appPort}` },
          { name: 'db', listen: rDbPort, target: `127.0.0.1:${pgPort}` },
          ...(replicating ? [replicationRoute(rReplPort, `127.0.0.1:${pgPort}`)] : []),
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
    `stop router (ports ${rAppPort}, ${rDbPort}, admin ${adminPort})`,
    () => routerService.proc.stop(),
    undefined,
    PROCESSES,
  );
  await together(primaryUp, routerService.start());
  const router = routerRole(routerService, new RouterClient(`http://127.0.0.1:${adminPort}`), {
    app: rAppPort,
    db: rDbPort,
  });

  const drPg = new LocalPostgres({
    ...common,
    name: DR_ROLE,
    port: drPgPort,
    dataDir: join(drDir, DR_ROLE),
  });
  const drUp = (async () => {
    await drPg.initDr(
      primary,
      {
        ...drStandbySettings(walDir),
        ...(streaming ? standbySettings({ host: '127.0.0.1', port: rReplPort }, password, DR_ROLE) : {}),
      },
      streaming ? { slot: replicationName(DR_ROLE) } : {},
    );
    ctx.teardown.push(`stop ${DR_ROLE} (port ${drPgPort})`, () => drPg.stop(), undefined, PROCESSES);
    await drPg.start();
    if (streaming) await followPrimary(primary, 'async', ctx.startTimeoutMs, DR_ROLE);
    ctx.note?.(
      `${DR_SITE}: ${DR_ROLE} restoring shipped WAL${streaming ? ' and streaming' : ''} on 127.0.0.1:${drPgPort}`,
    );
  })();
  drUp.catch(() => undefined);

  // The primary site's streaming standby (postgres.standby): followed as on one site, archiving into the
  // shipped archive as well, so that once promoted it keeps feeding the DR site (`SitesTopology`).
  const standby = topology.postgres.standby
    ? new LocalPostgres({
        ...common,
        name: STANDBY_ROLE,
        port: standbyPort,
        dataDir: join(primaryDir, STANDBY_ROLE),
      })
    : undefined;
  const standbyUp = (async () => {
    if (!standby) return;
    await standby.initDr(
      primary,
      {
        ...standbySettings({ host: '127.0.0.1', port: rReplPort }, password),
        ...siteStandbySettings(walDir),
      },
      { slot: replicationName(STANDBY_ROLE) },
    );
    ctx.teardown.push(
      `stop ${STANDBY_ROLE} (port ${standbyPort})`,
      () => standby.stop(),
      undefined,
      PROCESSES,
    );
    await standby.start();
    await followPrimary(primary, topology.postgres.replication, ctx.startTimeoutMs);
    ctx.note?.(
      `${PRIMARY_SITE}: ${STANDBY_ROLE} streaming (${topology.postgres.replication}) on 127.0.0.1:${standbyPort}`,
    );
  })();
  standbyUp.catch(() => undefined);

  // Redis of the primary site (snapshots shipped to the DR site) and the DR site's, not started: a runbook block
  // restores the shipped snapshot into its directory and starts it.
  const redis = redisBinary
    ? new LocalRedis({
        binary: redisBinary,
        runDir,
        runId: ctx.runId,
        drillId: ctx.drillId,
        port: redisPort,
        startTimeoutMs: ctx.startTimeoutMs,
        dir: join(primaryDir, 'redis'),
        save: `${Math.round(sites.redisSnapshotMs / 1000)} 1`,
      })
    : undefined;
  const drRedis = redisBinary
    ? new LocalRedis({
        binary: redisBinary,
        runDir,
        runId: ctx.runId,
        drillId: ctx.drillId,
        port: drRedisPort,
        startTimeoutMs: ctx.startTimeoutMs,
        name: 'redis-dr',
        dir: join(drDir, 'redis'),
        appendonly: false,
      })
    : undefined;
  const shipper = redis ? new SnapshotShipper(join(redis.dir, 'dump.rdb'), snapshotDir) : undefined;
  const redisUp = (async () => {
    if (!redis || !shipper) return;
    ctx.teardown.push(`stop redis (port ${redisPort})`, () => redis.stop(), undefined, PROCESSES);
    await redis.start();
    ctx.teardown.push('stop the Redis snapshot shipping', () => shipper.stop(), undefined, PROCESSES);
    await shipper.restart();
    ctx.note?.(`${PRIMARY_SITE}: redis up on 127.0.0.1:${redisPort}, snapshots shipped to ${DR_SITE}`);
  })();
  redisUp.catch(() => undefined);
  if (drRedis)
    ctx.teardown.push(
      `stop redis-dr (port ${drRedisPort}) if it was started`,
      () => drRedis.stop(),
      undefined,
      PROCESSES,
    );

  // The system under test's app at each site: the DR site's reaches the database through the router as well
  // (the endpoint a failover repoints) and its own site's Redis.
  const appVersion = topology.app.version;
  const values = (version: string, port: number, redisUrl: string | undefined): TemplateValues => ({
    databaseUrl: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${rDbPort}/${APP_DATABASE}`,
    ...(redisUrl ? { redisUrl } : {}),
    port,
    version,
    dbHost: '127.0.0.1',
    dbPort: rDbPort,
    dbUser: SUPERUSER,
    dbPassword: password,
    dbName: APP_DATABASE,
  });
  const appAt = (name: string, port: number, redisUrl: string | undefined) => {
    const envOf = (version: string) => appEnv(system, local.env, values(version, port, redisUrl));
    const service = new NodeService({
      name,
      command: { argv: local.command, cwd: local.cwd },
      env: envOf(appVersion),
      runDir,
      runId: ctx.runId,
      drillId: ctx.drillId,
      healthUrl: `http://127.0.0.1:${port}${system.health.path}`,
      healthStatus: system.health.status,
      healthSource: `health.path in ${system.configFile}`,
      startTimeoutMs: ctx.startTimeoutMs,
    });
    return { service, role: appRole(service, port, appVersion, envOf, name) };
  };
  const { service: primaryApp, role: app } = appAt('app', appPort, redis?.url());
  const appUp = (async () => {
    // The app's cache is up before the app, as a deployment would order them.
    await redisUp;
    ctx.teardown.push(`stop app (port ${appPort})`, () => primaryApp.stop(), undefined, PROCESSES);
    await primaryApp.start();
    ctx.note?.(`${PRIMARY_SITE}: app ${appVersion} serving behind the router on 127.0.0.1:${rAppPort}`);
  })();

  const { service: drAppService, role: drApp } = appAt('app-dr', drAppPort, drRedis?.url());
  ctx.teardown.push(`stop app-dr (port ${drAppPort})`, () => drAppService.stop(), undefined, PROCESSES);
  const drAppUp = (async () => {
    if (sites.drApp !== 'warm') return;
    await drAppService.start();
    ctx.note?.(`${DR_SITE}: app-dr ${appVersion} warm on 127.0.0.1:${drAppPort} (not serving)`);
  })();
  await together(drUp, standbyUp, redisUp, appUp, drAppUp);

  const dr: DrSite = {
    name: DR_SITE,
    feed: sites.feed,
    archiveTimeoutMs: sites.archiveTimeoutMs,
    appMode: sites.drApp,
    postgres: drPg,
    ...(drRedis ? { redis: drRedis } : {}),
    app: drApp,
    walDir,
    snapshotDir,
    redisDir: drRedis?.dir ?? join(drDir, 'redis'),
    async start(name) {
      const role = [drPg, drRedis, drApp].find((r) => r?.name === name);
      if (!role) throw new EstateError(`no role '${name}' at ${DR_SITE}`);
      if (!role.running()) await role.restart();
    },
  };
  const primaryPids = () => [primary.pids, standby?.pids ?? [], redis?.pids ?? [], primaryApp.pids].flat();
  // Partitioned: the site's ports unreachable from here (the router, clients, the DR site), its shipping cut.
  const network = allOf(
    shippingLink(walDir, shipper),
    loopbackPartition(
      [pgPort, ...(standby ? [standbyPort] : []), ...(redis ? [redisPort] : []), appPort],
      partitionComment(ctx.runId, ctx.drillId),
    ),
  );
  const site = primarySite(
    PRIMARY_SITE,
    [
      { role: primary, kill: () => primary.killGroup() },
      ...(standby ? [{ role: standby, kill: () => standby.killGroup() }] : []),
      ...(redis ? [{ role: redis, kill: () => redis.killGroup() }] : []),
      ...(shipper ? [{ role: shipper, kill: () => shipper.stop() }] : []),
      { role: app, kill: () => primaryApp.proc.killGroup() },
    ],
    network,
  );
  ctx.teardown.push(`heal the partition of ${PRIMARY_SITE} if it is cut`, () => site.heal?.());

  return assembleEstate({
    backend: 'local',
    runDir,
    toolDirs: system.tools,
    postgres: standby ? { primary, standby } : { primary },
    ...(redis ? { redis } : {}),
    app,
    router,
    endpoints: {
      app: `http://127.0.0.1:${rAppPort}`,
      db: { ...primary.connection(), port: rDbPort },
    },
    backups: { archiveDir: walDir, backupDir },
    async newSpare(name: string) {
      const [port] = (await freePorts(1)) as [number];
      const dataDir = join(drDir, name);
      ownedDir(dataDir, pgUser);
      const role = new AdoptedPostgres(name, port, dataDir, primary.connection());
      ctx.teardown.push(`stop ${name} (port ${port}) if a runbook block started it`, () => role.stop());
      return role;
    },
    hostDbUser: pgUser ? { uid: pgUser.uid, gid: pgUser.gid } : undefined,
    pids: () => [primaryPids(), drPg.pids, drRedis?.pids ?? [], drAppService.pids, routerService.pids].flat(),
    ports: [
      pgPort,
      drPgPort,
      ...(standby ? [standbyPort] : []),
      ...(redis ? [redisPort, drRedisPort] : []),
      appPort,
      drAppPort,
      adminPort,
      rAppPort,
      rDbPort,
      ...(replicating ? [rReplPort] : []),
    ],
    sites: {
      sites: { primary: site, dr },
      view: {
        primaryAppUrl: `http://127.0.0.1:${appPort}`,
        primaryData: primary.dataDir,
        ...(redis ? { primaryRedisDir: redis.dir } : {}),
        drDb: { host: '127.0.0.1', port: drPgPort },
        drData: drPg.dataDir,
        ...(drRedis
          ? {
              drRedis: { host: '127.0.0.1', port: drRedisPort },
              drRedisDir: drRedis.dir,
              redisLink: { host: '127.0.0.1', port: redisPort },
              drRedisLink: { host: '127.0.0.1', port: drRedisPort },
            }
          : {}),
        snapshotDir,
        drAppUrl: `http://127.0.0.1:${drAppPort}`,
      },
    },
  });
}
