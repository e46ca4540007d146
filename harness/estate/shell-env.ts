/**
 * The environment runbook blocks get, assembled in one place for every backend and every site a block runs
 * at. A backend describes what a block sees from a site (addresses, directories, tools); the keys and their
 * meaning are defined here only, so a key added here reaches every backend.
 */

export interface Address {
  host: string;
  port: number;
}

/** An estate as seen from where a block runs (the host; a database's container). */
export interface SiteView {
  /** PATH: the database tools first, then the app's own tools where present, then the usual. */
  path: string;
  home: string;
  /** The database endpoint clients use (the router's `db` route: a VIP or DNS name). */
  endpoint: Address;
  /** The current primary itself, bypassing the endpoint. */
  primary: Address;
  standby?: Address;
  redis?: Address;
  /** The service's public URL (the router's `app` route). */
  appUrl: string;
  backupDir: string;
  archiveDir: string;
  credentials: { user: string; database: string; password: string };
  /** A two-site estate: the primary site's own addresses and what the DR site holds, as seen from here. */
  sites?: SitesView;
}

export interface SitesView {
  /** The primary site's app itself, bypassing the router (`app` route). */
  primaryAppUrl: string;
  /** The primary site's database data directory and Redis data directory (a failback rebuilds them). */
  primaryData?: string;
  primaryRedisDir?: string;
  drDb: Address;
  /** The DR database's data directory (where it can be read from here). */
  drData?: string;
  drRedis?: Address;
  /**
   * Each site's Redis as the other site reaches it (a replica's master, `FAILOVER TO`'s target): on one host
   * their own addresses, across Docker networks a link through the router.
   */
  redisLink?: Address;
  drRedisLink?: Address;
  /** The DR Redis's data directory (a shipped snapshot is restored into it). */
  drRedisDir?: string;
  /** Where the primary Redis's RDB snapshots are shipped. */
  snapshotDir: string;
  /** The DR site's app itself, bypassing the router. */
  drAppUrl: string;
}

/** The runbook's variables (the table at the top of fixtures/runbook/deployment-runbook.md) for one site. */
export function shellEnv(view: SiteView): Record<string, string> {
  return {
    PATH: view.path,
    HOME: view.home,
    LANG: 'C',
    DB_HOST: view.endpoint.host,
    DB_PORT: String(view.endpoint.port),
    DB_USER: view.credentials.user,
    DB_NAME: view.credentials.database,
    PGPASSWORD: view.credentials.password,
    PGCONNECT_TIMEOUT: '3',
    BACKUP_DIR: view.backupDir,
    WAL_ARCHIVE: view.archiveDir,
    APP_URL: view.appUrl,
    PRIMARY_HOST: view.primary.host,
    PRIMARY_PORT: String(view.primary.port),
    ...(view.standby ? { STANDBY_HOST: view.standby.host, STANDBY_PORT: String(view.standby.port) } : {}),
    ...(view.redis ? { REDIS_HOST: view.redis.host, REDIS_PORT: String(view.redis.port) } : {}),
    ...(view.sites ? sitesEnv(view.sites) : {}),
  };
}

/** The DR variables of the runbook's table: the primary site's app, and the DR site's servers and directories. */
function sitesEnv(v: SitesView): Record<string, string> {
  return {
    PRIMARY_APP_URL: v.primaryAppUrl,
    ...(v.primaryData ? { PRIMARY_DATA: v.primaryData } : {}),
    ...(v.primaryRedisDir ? { PRIMARY_REDIS_DIR: v.primaryRedisDir } : {}),
    DR_DB_HOST: v.drDb.host,
    DR_DB_PORT: String(v.drDb.port),
    ...(v.drData ? { DR_DATA: v.drData } : {}),
    REDIS_SNAPSHOTS: v.snapshotDir,
    DR_APP_URL: v.drAppUrl,
    ...(v.drRedis ? { DR_REDIS_HOST: v.drRedis.host, DR_REDIS_PORT: String(v.drRedis.port) } : {}),
    ...(v.drRedisDir ? { DR_REDIS_DIR: v.drRedisDir } : {}),
    ...(v.redisLink ? { REDIS_LINK_HOST: v.redisLink.host, REDIS_LINK_PORT: String(v.redisLink.port) } : {}),
    ...(v.drRedisLink
      ? { DR_REDIS_LINK_HOST: v.drRedisLink.host, DR_REDIS_LINK_PORT: String(v.drRedisLink.port) }
      : {}),
  };
}
