/**
 * The docker backend's two-site estate: each site its own Docker network, the router (global DNS / the load
 * balancer) attached to both and the only link between them. The primary site's network holds the Postgres
 * primary, Redis and the app; the DR site's network the DR standby (made from a base backup taken through the
 * router, restoring the WAL segments the primary ships into the DR site's archive directory), Redis (created
 * when a runbook block restores the shipped snapshot) and the app (warm: running; cold: created when started).
 * The archive and both Redis data directories are host directories bind-mounted into their containers, so the
 * shipping is the same files as on the local backend.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { appEnv as appEnvOf } from '../../config/system.ts';
import { EstateError, PrerequisiteError, UsageError } from '../../core/errors.ts';
import { labels as runLabels } from '../../core/session.ts';
import { assembleEstate } from '../assemble.ts';
import { shellEnv } from '../shell-env.ts';
import type { ProvisionContext } from '../backend.ts';
import { freePorts } from '../host/ports.ts';
import { createRunDir, removeRunDirAsync } from '../host/run-dir.ts';
import { iptablesPartition, loopbackPort, partitionComment, type CutRule } from '../host/partition.ts';
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
import type { DrSite, Estate, SitesTopology, Topology } from '../types.ts';
import { AddressBook, DockerApp, DockerRouter } from './app.ts';
import { appImagesProblem } from './build.ts';
import { bundle } from './bundle.ts';
import { containerCgroupParent } from './cpu-share.ts';
import { dockerImages, imagesRemedy } from './checks.ts';
import { gone, inspectImage, LABEL_ROLE, requireEngine } from './engine.ts';
import { appImage } from './images.ts';
import { helperSite, inContainer } from './exec-site.ts';
import {
  DockerPostgres,
  createSpare,
  DockerSparePostgres,
  imagePostgresUser,
  PG_ARCHIVE,
  PG_BACKUPS,
  PG_CONTAINER_PATH,
  PG_DATA,
  PG_PORT,
} from './postgres.ts';
import { DockerRedis, REDIS_PORT } from './redis.ts';

/**
 * The router's ports inside its container. `repl` is the link from the DR site to the primary database (the
 * DR site's base backup, its stream); the `*Link` routes are the links a failback needs the other way: the
 * primary site reaches the DR database (rebuild, replicate back) and the DR site's Redis (replicate back), and
 * the DR site's Redis reaches the primary site's (the hand-over, `FAILOVER TO`).
 */
const ROUTER = {
  admin: 9000,
  app: 8080,
  db: 6432,
  repl: 6433,
  drDbLink: 6434,
  drRedisLink: 6380,
  redisLink: 6381,
};
export const PRIMARY_SITE = 'site-primary';
export const DR_SITE = 'site-dr';

export async function provisionDockerSites(
  topology: Topology,
  sites: SitesTopology,
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

  // The system under test's app, as its config describes it for containers.
  const system = ctx.system;
  const appSpec = system.docker;
  if (!appSpec)
    throw new UsageError(
      `${system.configFile}: system.docker: required to run ${system.name} on the docker backend`,
    );
  const appContainerPort = appSpec.port;
  const labels = runLabels(ctx.runId, ctx.drillId);
  const runDir = createRunDir(ctx.runId, ctx.drillId);
  ctx.teardown.push(`remove run directory ${runDir}`, () => removeRunDirAsync(runDir));
  const dir = (...parts: string[]) => {
    const p = join(runDir, ...parts);
    mkdirSync(p, { recursive: true, mode: 0o711 });
    return p;
  };
  // The DR site's copy of the WAL archive: the primary ships into it, the DR standby restores from it.
  const walDir = dir(DR_SITE, 'wal-archive');
  const backupDir = dir('backups');
  const imageUser = process.getuid?.() === 0 ? await imagePostgresUser(images.postgres, labels) : undefined;
  for (const p of [walDir, backupDir]) {
    if (imageUser) chownSync(p, imageUser.uid, imageUser.gid);
    else chmodSync(p, 0o777);
  }
  // Each database's data directory is a host directory bind-mounted into its container (as root, given to the
  // image's postgres account): a failback rebuilds the stopped primary's in a helper container, and reads the
  // stopped DR database's control file. Without root the data stay in the containers (no failback there).
  const dataDirs = imageUser
    ? { primary: dir(PRIMARY_SITE, 'postgres-data'), dr: dir(DR_SITE, 'postgres-data') }
    : undefined;
  if (imageUser && dataDirs)
    for (const p of [dataDirs.primary, dataDirs.dr]) {
      chownSync(p, imageUser.uid, imageUser.gid);
      chmodSync(p, 0o700);
    }
  const dataBind = (source: string | undefined) => (source ? [{ source, target: PG_DATA }] : []);
  const primaryRedisDir = dir(PRIMARY_SITE, 'redis');
  const drRedisDir = dir(DR_SITE, 'redis');
  const snapshotDir = dir(DR_SITE, 'redis-snapshots');
  if (process.getuid?.() !== 0) for (const p of [primaryRedisDir, drRedisDir]) chmodSync(p, 0o777);

  const networkOf = (site: string) => `drillbook-${ctx.runId}-${ctx.drillId}-${site}`;
  const nets = { primary: networkOf(PRIMARY_SITE), dr: networkOf(DR_SITE) };
  for (const net of [nets.primary, nets.dr]) {
    await d.createNetwork({ Name: net, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
    ctx.teardown.push(`remove network ${net}`, async () => {
      try {
        await d.getNetwork(net).remove();
      } catch (e) {
        if (!gone(e)) throw e;
      }
    });
  }
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

  const [pgPort, drPgPort, redisPort, drRedisPort, appPort, drAppPort, adminPort, rAppPort, rDbPort, sbPort] =
    (await freePorts(10)) as [number, number, number, number, number, number, number, number, number, number];
  const password = randomBytes(18).toString('base64url');
  // Each container a CPU cgroup of its own at the root where the engine would put them all under one (cpu-share.ts).
  const cgroupParent = await containerCgroupParent(d);
  const base = (
    role: string,
    network: string,
    ports: { container: number; host: number }[],
    binds?: { source: string; target: string }[],
  ) => ({
    role,
    name: `${network}-${role}`,
    network,
    alias: role,
    labels: { ...labels, [LABEL_ROLE]: role },
    ports,
    ...(binds ? { binds } : {}),
    ...(cgroupParent ? { cgroupParent } : {}),
    startTimeoutMs: ctx.startTimeoutMs,
  });
  const book = new AddressBook();
  const removeOnTeardown = (what: string, svc: { remove(): Promise<void> }) =>
    ctx.teardown.push(`remove container ${what}`, () => svc.remove(), 20_000, { group: 'containers' });
  const streaming = sites.feed === 'streaming';

  const primary = new DockerPostgres({
    base: {
      ...base(
        'postgres-primary',
        nets.primary,
        [{ container: PG_PORT, host: pgPort }],
        [{ source: walDir, target: PG_ARCHIVE }, ...dataBind(dataDirs?.primary)],
      ),
      image: images.postgres,
    },
    superuser: SUPERUSER,
    password,
    database: APP_DATABASE,
    conf: {
      ...primarySettings(PG_ARCHIVE, { listen_addresses: '*' }),
      ...shippingSettings(sites.archiveTimeoutMs, PG_ARCHIVE),
    },
    walSegmentMb: SITES_WAL_SEGMENT_MB,
  });
  book.add(pgPort, primary.internalAddress);
  removeOnTeardown(primary.spec.name, primary);

  const routerBundle = join(runDir, 'router.mjs');
  const router = new DockerRouter(
    {
      ...base('router', nets.primary, [
        { container: ROUTER.admin, host: adminPort },
        { container: ROUTER.app, host: rAppPort },
        { container: ROUTER.db, host: rDbPort },
      ]),
      image: images.node,
      user: 'nobody',
      cmd: ['node', '/drill/router.mjs'],
      files: [{ source: routerBundle, target: '/drill/router.mjs' }],
      env: {
        // The router resolves its targets' names per connection (getaddrinfo, on libuv's thread pool). Once a
        // site's container stops, Docker's embedded DNS can take 5 to 10 s to fail a lookup of its name
        // (forwarded off the machine, unanswered); under the drill's traffic four threads filled with those and
        // the DR database's lookup waited behind them (docs/sites.md). More threads keep live names resolving.
        UV_THREADPOOL_SIZE: '128',
        ROUTER_CONFIG: JSON.stringify({
          host: '0.0.0.0',
          adminPort: ROUTER.admin,
          routes: [
            { name: 'app', listen: ROUTER.app, target: `app:${appContainerPort}` },
            { name: 'db', listen: ROUTER.db, target: primary.internalAddress },
            // The link between the sites: the DR site's base backup (and, streaming, its WAL stream).
            replicationRoute(ROUTER.repl, primary.internalAddress),
            // And the other way, for a failback (see ROUTER).
            { name: 'dr-db-link', listen: ROUTER.drDbLink, target: `${DR_ROLE}:${PG_PORT}` },
            ...(topology.redis
              ? [
                  { name: 'dr-redis-link', listen: ROUTER.drRedisLink, target: `redis-dr:${REDIS_PORT}` },
                  { name: 'redis-link', listen: ROUTER.redisLink, target: `redis:${REDIS_PORT}` },
                ]
              : []),
          ],
        }),
      },
    },
    { app: rAppPort, db: rDbPort },
    book,
  );
  const startRouter = async () => {
    await bundle('harness/estate/router/main.ts', routerBundle);
    removeOnTeardown(router.spec.name, router);
    await router.create();
    // Attached to the DR site's network as well, under the same name.
    await d
      .getNetwork(nets.dr)
      .connect({ Container: router.spec.name, EndpointConfig: { Aliases: ['router'] } });
  };
  const startPrimary = async () => {
    await primary.create();
    await ensureAppDatabase(primary);
    ctx.note?.(`${PRIMARY_SITE}: postgres-primary up in ${primary.spec.name}, shipping WAL to ${DR_SITE}`);
  };

  const redis = topology.redis
    ? new DockerRedis(
        { ...base('redis', nets.primary, [{ container: REDIS_PORT, host: redisPort }]), image: images.redis },
        {
          save: `${Math.round(sites.redisSnapshotMs / 1000)} 1`,
          dataDir: primaryRedisDir,
          // A replica of the DR site's Redis (a failback) is known there by its link through the router, the
          // address `FAILOVER TO` names.
          announce: { host: 'router', port: ROUTER.redisLink },
        },
      )
    : undefined;
  const startRedis = async () => {
    if (!redis) return;
    removeOnTeardown(redis.spec.name, redis);
    await redis.create();
    ctx.note?.(`${PRIMARY_SITE}: redis up in ${redis.spec.name}, snapshots shipped to ${DR_SITE}`);
  };
  await together(startRouter(), startPrimary(), startRedis());

  // A streaming standby at the primary site (`postgres.standby`), as on the one-site estate: a base backup of
  // the primary over the site's network, then its WAL stream through the router's replication route, async or
  // sync as the topology says. It inherits the primary's settings, shipping included, and has the DR site's
  // archive mounted where the primary has it: promoted (a database failover), it archives there in turn, so the
  // DR database goes on restoring, onto the new timeline. It dies, is cut off and is fenced with its site.
  const standby = topology.postgres.standby
    ? new DockerPostgres({
        base: {
          ...base(
            STANDBY_ROLE,
            nets.primary,
            [{ container: PG_PORT, host: sbPort }],
            [{ source: walDir, target: PG_ARCHIVE }],
          ),
          image: images.postgres,
        },
        superuser: SUPERUSER,
        password,
        database: APP_DATABASE,
        // It archives every segment it receives into the same archive (`archive_mode = always`), so a segment the
        // dead primary completed but had not shipped yet is shipped by it, as on the local estate.
        conf: {
          ...standbySettings({ host: 'router', port: ROUTER.repl }, password),
          ...siteStandbySettings(PG_ARCHIVE),
        },
        upstream: { alias: primary.spec.alias, slot: replicationName(STANDBY_ROLE) },
      })
    : undefined;
  const standbyUp = (async () => {
    if (!standby) return;
    book.add(sbPort, standby.internalAddress);
    removeOnTeardown(standby.spec.name, standby);
    await standby.create();
    await followPrimary(primary, topology.postgres.replication, ctx.startTimeoutMs);
    ctx.note?.(
      `${PRIMARY_SITE}: ${STANDBY_ROLE} streaming (${topology.postgres.replication}) in ${standby.spec.name}`,
    );
  })();
  standbyUp.catch(() => undefined);

  const drPg = new DockerPostgres({
    base: {
      ...base(
        DR_ROLE,
        nets.dr,
        [{ container: PG_PORT, host: drPgPort }],
        [{ source: walDir, target: PG_ARCHIVE }, ...dataBind(dataDirs?.dr)],
      ),
      image: images.postgres,
    },
    superuser: SUPERUSER,
    password,
    database: APP_DATABASE,
    conf: {
      ...drStandbySettings(PG_ARCHIVE),
      // Onto whatever timeline the archive leads to: a promoted same-site standby's, after a database failover.
      recovery_target_timeline: 'latest',
      ...(streaming ? standbySettings({ host: 'router', port: ROUTER.repl }, password, DR_ROLE) : {}),
    },
    upstream: {
      alias: 'router',
      port: ROUTER.repl,
      ...(streaming ? { slot: replicationName(DR_ROLE) } : {}),
    },
  });
  book.add(drPgPort, drPg.internalAddress);
  removeOnTeardown(drPg.spec.name, drPg);
  // The DR database (its base backup taken through the router) comes up while the apps start.
  const drUp = (async () => {
    await drPg.create();
    if (streaming) await followPrimary(primary, 'async', ctx.startTimeoutMs, DR_ROLE);
    ctx.note?.(
      `${DR_SITE}: ${DR_ROLE} restoring shipped WAL${streaming ? ' and streaming' : ''} in ${drPg.spec.name}`,
    );
  })();
  drUp.catch(() => undefined);

  let shipper: SnapshotShipper | undefined;
  let drRedis: DockerRedis | undefined;
  if (redis) {
    const s = new SnapshotShipper(join(primaryRedisDir, 'dump.rdb'), snapshotDir);
    shipper = s;
    ctx.teardown.push('stop the Redis snapshot shipping', () => s.stop());
    await s.restart();
    drRedis = new DockerRedis(
      { ...base('redis-dr', nets.dr, [{ container: REDIS_PORT, host: drRedisPort }]), image: images.redis },
      { appendonly: false, dataDir: drRedisDir },
    );
    removeOnTeardown(drRedis.spec.name, drRedis);
  }

  const appVersion = topology.app.version;
  // A release is the image's tag and carries its own behaviour: the container gets the app's environment only.
  // Each site's app reaches the database through the router (the endpoint a failover repoints) and its own
  // site's Redis.
  const appEnv = (redisUrl: string | undefined) =>
    appEnvOf({ ...system, releases: { [appVersion]: { env: {} } } }, appSpec.env, {
      databaseUrl: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@router:${ROUTER.db}/${APP_DATABASE}`,
      ...(redisUrl ? { redisUrl } : {}),
      port: appContainerPort,
      version: appVersion,
      dbHost: 'router',
      dbPort: ROUTER.db,
      dbUser: SUPERUSER,
      dbPassword: password,
      dbName: APP_DATABASE,
    });
  const health = {
    path: system.health.path,
    status: system.health.status,
    source: `health.path in ${system.configFile}`,
  };
  const app = new DockerApp(
    {
      ...base('app', nets.primary, [{ container: appContainerPort, host: appPort }]),
      env: appEnv(redis?.internalUrl),
    },
    (v) => appImage(images, v),
    appVersion,
    health,
  );
  book.add(appPort, `app:${appContainerPort}`);
  removeOnTeardown(app.containerName, app);
  const drApp = new DockerApp(
    {
      ...base('app-dr', nets.dr, [{ container: appContainerPort, host: drAppPort }]),
      env: appEnv(drRedis?.internalUrl),
    },
    (v) => appImage(images, v),
    appVersion,
    health,
    'app-dr',
  );
  book.add(drAppPort, `app-dr:${appContainerPort}`);
  removeOnTeardown(drApp.containerName, drApp);
  await together(drUp, standbyUp, app.create(), sites.drApp === 'warm' ? drApp.create() : Promise.resolve());
  ctx.note?.(`${PRIMARY_SITE}: app ${appVersion} serving behind the router on 127.0.0.1:${rAppPort}`);

  // A DR role not created yet (Redis, a cold app) is created when started; a stopped one is started again.
  const created = new Set<string>(sites.drApp === 'warm' ? ['app-dr'] : []);
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
    redisDir: drRedisDir,
    // The restored server is the DR site's database now: the link between the sites leads to it, so the primary
    // site's database (rebuilt from it, then streaming from it) reaches it where it reached the DR database.
    async adopt(role) {
      await router.client.repoint('dr-db-link', `127.0.0.1:${role.port}`, { reset: true });
    },
    async start(name) {
      const role = [drPg, drRedis, drApp].find((r) => r?.name === name);
      if (!role) throw new EstateError(`no role '${name}' at ${DR_SITE}`);
      if (role === drPg || created.has(name)) {
        if (!role.running()) await role.restart();
        return;
      }
      created.add(name);
      await (role as DockerRedis | DockerApp).create();
    },
  };
  // Partitioned: every packet to or from the site's containers dropped (the router, the DR site and anything
  // else on the bridges reach them through the kernel's forwarding, filtered in DOCKER-USER), and the ports
  // they publish on this host dropped on the loopback interface; the containers keep running, the router's
  // networks are untouched. (Disconnecting them from their network instead moved the router's default route.)
  const members = [
    primary.spec.name,
    ...(standby ? [standby.spec.name] : []),
    ...(redis ? [redis.spec.name] : []),
    app.containerName,
  ];
  const published = [pgPort, ...(standby ? [sbPort] : []), ...(redis ? [redisPort] : []), appPort];
  const cutOff = iptablesPartition(
    async () => {
      const rules: CutRule[] = published.map(loopbackPort);
      for (const name of members) {
        const info = await d
          .getContainer(name)
          .inspect()
          .catch(() => undefined);
        const ip = info?.NetworkSettings.Networks[nets.primary]?.IPAddress;
        if (ip)
          rules.push(
            { chain: 'DOCKER-USER', match: ['-s', ip] },
            { chain: 'DOCKER-USER', match: ['-d', ip] },
          );
      }
      return rules;
    },
    partitionComment(ctx.runId, ctx.drillId),
  );
  const site = primarySite(
    PRIMARY_SITE,
    [
      { role: primary, kill: () => primary.signal('SIGKILL') },
      ...(standby ? [{ role: standby, kill: () => standby.signal('SIGKILL') }] : []),
      ...(redis ? [{ role: redis, kill: () => redis.signal('SIGKILL') }] : []),
      ...(shipper ? [{ role: shipper, kill: () => shipper.stop() }] : []),
      { role: app, kill: () => app.signal('SIGKILL') },
    ],
    allOf(shippingLink(walDir, shipper), cutOff),
  );
  // Before the containers are removed (the stack unwinds in reverse): the network is whole again.
  ctx.teardown.push(`heal the partition of ${PRIMARY_SITE} if it is cut`, () => site.heal?.());

  // The shipped archive and the backups, where every database container of the estate sees them.
  const archiveBinds = [
    { source: walDir, target: PG_ARCHIVE },
    { source: backupDir, target: PG_BACKUPS },
  ];
  // What as=postgres blocks see from a container of the estate (`home`: its working directory).
  const blockEnv = (home: string) =>
    shellEnv({
      path: PG_CONTAINER_PATH,
      home,
      endpoint: { host: 'router', port: ROUTER.db },
      primary: { host: primary.spec.alias, port: PG_PORT },
      ...(standby ? { standby: { host: STANDBY_ROLE, port: PG_PORT } } : {}),
      ...(redis ? { redis: { host: 'redis', port: REDIS_PORT } } : {}),
      appUrl: `http://router:${ROUTER.app}`,
      backupDir: PG_BACKUPS,
      archiveDir: PG_ARCHIVE,
      credentials: { user: SUPERUSER, database: APP_DATABASE, password },
      sites: {
        primaryAppUrl: `http://app:${appContainerPort}`,
        ...(dataDirs ? { primaryData: PG_DATA } : {}),
        drDb: { host: 'router', port: ROUTER.drDbLink },
        snapshotDir: '/tmp',
        drAppUrl: `http://router:${ROUTER.app}`,
        ...(drRedis
          ? {
              drRedis: { host: 'router', port: ROUTER.drRedisLink },
              redisLink: { host: 'router', port: ROUTER.redisLink },
              drRedisLink: { host: 'router', port: ROUTER.drRedisLink },
            }
          : {}),
      },
    });

  return assembleEstate({
    backend: 'docker',
    runDir,
    toolDirs: system.tools,
    postgres: standby ? { primary, standby } : { primary },
    ...(redis ? { redis } : {}),
    app,
    router,
    endpoints: { app: `http://127.0.0.1:${rAppPort}`, db: { ...primary.connection(), port: rDbPort } },
    backups: { archiveDir: walDir, backupDir },
    // as=postgres blocks run where the primary site's database lives: a helper container of the Postgres image on
    // the primary site's network, as its account, with its data directory, the shipped archive and the backups
    // mounted (the server's own container is stopped during a failback's rebuild); the DR site is reached
    // through the router's links, as the primary database itself reaches it once rebuilt. A block that works on
    // a spare server (it names the spare's data directory, `<PREFIX>_DIR` of `Step.spare`) runs inside that
    // spare's container instead, as on the one-site estate: there the archive and the backups are mounted and its
    // `pg_ctl start` starts a server the router can reach. Chosen per block, not "the newest spare": in an exercise
    // a failback's blocks come after a restore onto a spare and must still run at the primary site.
    databaseSite: (spares) => {
      const helper = helperSite(
        {
          image: images.postgres,
          network: nets.primary,
          user: 'postgres',
          cwd: '/tmp',
          binds: [...archiveBinds, ...dataBind(dataDirs?.primary)],
          labels: { ...labels, [LABEL_ROLE]: 'runbook-helper' },
          ...(cgroupParent ? { cgroupParent } : {}),
          ...(dataDirs ? { server: { dataDir: PG_DATA, host: primary.spec.alias, port: PG_PORT } } : {}),
        },
        blockEnv('/tmp'),
      );
      return {
        env: helper.env,
        launch(bashArgs, env) {
          const spare = spareNamedBy(spares, bashArgs.at(-1) ?? '', env);
          return spare
            ? inContainer({ container: spare.spec.name, user: 'postgres', cwd: PG_BACKUPS }, bashArgs, env)
            : helper.launch(bashArgs, env);
        },
      };
    },
    // A spare server: an idle container of the Postgres image (the one-site estate's, `DockerSparePostgres`) on
    // the network of the site whose database the endpoint leads to now (after a failback, the primary site's),
    // with the shipped archive and the backups mounted; the router, on both networks, reaches it by name.
    async newSpare(name: string) {
      const db = (await router.client.routes()).find((r) => r.name === 'db');
      const atDr = Number(db?.target.split(':').at(-1)) === drPgPort;
      const site = atDr ? DR_SITE : PRIMARY_SITE;
      // As root its data directory is a host directory, mounted at the same path: a failback reads the control
      // file of the server a block started in it (on the host), and rebuilds the primary site's database from it.
      const data = imageUser ? dir(site, `${name}-data`) : undefined;
      if (data && imageUser) {
        chownSync(data, imageUser.uid, imageUser.gid);
        chmodSync(data, 0o700);
      }
      return createSpare(
        { book, removeOnTeardown },
        (port) =>
          new DockerSparePostgres(
            {
              ...base(
                name,
                atDr ? nets.dr : nets.primary,
                [{ container: port, host: port }],
                [...archiveBinds, ...(data ? [{ source: data, target: data }] : [])],
              ),
              image: images.postgres,
            },
            { user: SUPERUSER, password, database: APP_DATABASE },
            data,
          ),
        site,
        ctx.note,
      );
    },
    pids: () =>
      [
        primary.pids,
        drPg.pids,
        standby?.pids ?? [],
        redis?.pids ?? [],
        drRedis?.pids ?? [],
        router.pids,
        app.pids,
        drApp.pids,
      ].flat(),
    ports: [
      pgPort,
      drPgPort,
      ...(standby ? [sbPort] : []),
      ...(redis ? [redisPort, drRedisPort] : []),
      appPort,
      drAppPort,
      adminPort,
      rAppPort,
      rDbPort,
    ],
    sites: {
      sites: { primary: site, dr },
      view: {
        primaryAppUrl: `http://127.0.0.1:${appPort}`,
        ...(dataDirs ? { primaryData: dataDirs.primary } : {}),
        primaryRedisDir,
        drDb: { host: '127.0.0.1', port: drPgPort },
        ...(dataDirs ? { drData: dataDirs.dr } : {}),
        ...(drRedis
          ? {
              drRedis: { host: '127.0.0.1', port: drRedisPort },
              drRedisDir,
              // What each site's Redis is told of the other's: its link through the router.
              redisLink: { host: 'router', port: ROUTER.redisLink },
              drRedisLink: { host: 'router', port: ROUTER.drRedisLink },
            }
          : {}),
        snapshotDir,
        drAppUrl: `http://127.0.0.1:${drAppPort}`,
      },
    },
    async identity() {
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
      return { appVersion, images: ids };
    },
  });
}

/**
 * The spare server a block works on, if any: one whose data directory the block's environment names as
 * `<PREFIX>_DIR` beside its name as `<PREFIX>_NAME` (what `Step.spare` hands on), with the script using that
 * directory. Values of earlier steps stay in the environment; only a block that uses the directory is the spare's.
 */
export function spareNamedBy<S extends { name: string; dataDir: string }>(
  spares: readonly S[],
  script: string,
  env: NodeJS.ProcessEnv,
): S | undefined {
  for (const spare of [...spares].reverse()) {
    for (const [key, value] of Object.entries(env)) {
      if (value !== spare.dataDir || !key.endsWith('_DIR')) continue;
      if (env[`${key.slice(0, -'_DIR'.length)}_NAME`] !== spare.name) continue;
      if (new RegExp(`\\$\\{?${key}\\b`).test(script)) return spare;
    }
  }
  return undefined;
}
