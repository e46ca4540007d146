/**
 * The parts of an `Estate` every backend answers the same way, assembled once from the roles a backend
 * provides: the runbook shell (environment and sites), the spare servers, the authoritative database, the
 * identity for the record and the resources for the leak check.
 */
import { findPgBinDir } from './host/binaries.ts';
import { hostSite } from './host/site.ts';
import { databaseIdentity, endpointTarget } from './shared.ts';
import { shellEnv, type SitesView, type SiteView } from './shell-env.ts';
import type {
  AppRole,
  Estate,
  EstateIdentity,
  EstateResources,
  EstateSites,
  MonitoringRole,
  PostgresRole,
  RedisRole,
  RouterRole,
  ShellSite,
} from './types.ts';

/** A spare server: an empty data directory and a port a runbook block starts a server on. */
export type SpareRole = PostgresRole & { readonly dataDir: string };

/** What a backend provides; `assembleEstate` makes the estate of it. */
export interface EstateParts<S extends SpareRole = SpareRole> {
  backend: string;
  runDir: string;
  postgres: { primary: PostgresRole; standby?: PostgresRole };
  redis?: RedisRole;
  app: AppRole;
  router: RouterRole;
  endpoints: Estate['endpoints'];
  /** On the host (the harness's machine). */
  backups: Estate['backups'];
  /** Start the backend's infrastructure for a spare server (registering its undo); called once per name. */
  newSpare(name: string): Promise<S>;
  /**
   * Where as=postgres blocks run, given the spares reserved so far (the newest is a restore's target).
   * Default: on the host, as `hostDbUser`, with the host's environment.
   */
  databaseSite?(spares: readonly S[]): ShellSite;
  /** The database's OS account on the host (root runs Postgres as an unprivileged account). */
  hostDbUser?: { uid: number; gid: number } | undefined;
  /** Directories of the system's own tools (its migration command), on the PATH of runbook blocks. */
  toolDirs: readonly string[];
  /** Environment keys only this backend's host blocks get (docker: its deployment's container and image). */
  hostEnv?: Record<string, string>;
  /** Every process id the estate has owned (a replaced process included), for the leak check. */
  pids(): number[];
  /** The ports it reserved on 127.0.0.1 (spares' ports are added). */
  ports: number[];
  /** Ports its servers listen on at another address (the kube backend's node). */
  nodePorts?: { host: string; port: number }[];
  /** What only this backend knows for the record (docker: the release really running, the image ids). */
  identity?(): Promise<Partial<Pick<EstateIdentity, 'appVersion' | 'images'>>>;
  /** A two-site estate's sites, and what its host blocks see of them. */
  sites?: { sites: EstateSites; view: SitesView };
  monitoring?: MonitoringRole;
}

export function assembleEstate<S extends SpareRole>(parts: EstateParts<S>): Estate {
  const { primary, standby } = parts.postgres;
  const { redis, app, router, backups, endpoints } = parts;
  const sites = parts.sites?.sites;
  const spares: S[] = [];
  const pending = new Map<string, Promise<S>>();
  const conn = primary.connection();
  // Looked up once: finding the binaries may run `pg_config`, which must not block the drill at every step.
  const path = [findPgBinDir(), ...parts.toolDirs, process.env.PATH ?? '/usr/bin:/bin']
    .filter(Boolean)
    .join(':');

  const estate: Estate = {
    backend: parts.backend,
    runDir: parts.runDir,
    postgres: parts.postgres,
    ...(redis ? { redis } : {}),
    ...(parts.monitoring ? { monitoring: parts.monitoring } : {}),
    app,
    router,
    endpoints,
    backups,
    spare(name: string): Promise<S> {
      let p = pending.get(name);
      if (!p) {
        p = parts.newSpare(name).then((role) => (spares.push(role), role));
        p.catch(() => pending.delete(name));
        pending.set(name, p);
      }
      return p;
    },
    shell() {
      const view: SiteView = {
        path,
        home: backups.backupDir,
        endpoint: { host: endpoints.db.host, port: endpoints.db.port },
        primary: { host: conn.host, port: conn.port },
        ...(standby ? { standby: { host: standby.connection().host, port: standby.port } } : {}),
        ...(redis ? { redis: { host: new URL(redis.url()).hostname, port: redis.port } } : {}),
        appUrl: endpoints.app,
        backupDir: backups.backupDir,
        archiveDir: backups.archiveDir,
        credentials: { user: conn.user, database: conn.database, password: conn.password },
        ...(parts.sites ? { sites: parts.sites.view } : {}),
      };
      const env = { ...shellEnv(view), ...parts.hostEnv };
      return {
        host: hostSite(env, { cwd: backups.backupDir }),
        database:
          parts.databaseSite?.(spares) ?? hostSite(env, { cwd: backups.backupDir, user: parts.hostDbUser }),
        secrets: [conn.password],
      };
    },
    authoritative(): Promise<PostgresRole> {
      return endpointTarget(router, [primary, standby, sites?.dr.postgres, ...spares]);
    },
    async identity(): Promise<EstateIdentity> {
      const db = await estate.authoritative().catch(() => undefined);
      const dbIdentity = await databaseIdentity(db);
      const redisVersion = await redis?.version?.().catch(() => undefined);
      const own = (await parts.identity?.()) ?? {};
      return {
        backend: parts.backend,
        ...dbIdentity,
        ...(redisVersion ? { redisVersion } : {}),
        appVersion: own.appVersion ?? app.version,
        ...(own.images ? { images: own.images } : {}),
        nodeVersion: process.version,
        platform: `${process.platform}-${process.arch}`,
      };
    },
    resources(): EstateResources {
      return {
        pids: parts.pids(),
        ports: [...spares.map((s) => s.port), ...parts.ports],
        ...(parts.nodePorts ? { nodePorts: parts.nodePorts } : {}),
        dirs: [parts.runDir],
      };
    },
    ...(sites
      ? {
          sites,
          // The Redis of the site whose app the clients' app endpoint leads to.
          async authoritativeRedis() {
            const route = (await router.client.routes()).find((r) => r.name === 'app');
            const atDr = Number(route?.target.split(':').at(-1)) === sites.dr.app.port;
            return atDr ? sites.dr.redis : redis;
          },
        }
      : {}),
  };
  return estate;
}
