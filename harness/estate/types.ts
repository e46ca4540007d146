import type { EstateIdentity } from '../record/record.ts';
import type { AlertRuleInfo, ReceiverInfo } from './monitoring/config.ts';
import type { Notification } from './monitoring/receivers.ts';
import type { RouterClient } from './router/client.ts';

/** A backend's name (`Backend.name`; the registry lists them). */
export type BackendName = string;

/** What a drill asks its estate to be. Backends provide the same roles from it. */
export interface Topology {
  postgres: {
    /**
     * Stand up a hot standby fed by streaming replication (`Estate.postgres.standby`). On two sites it stands at
     * the primary site beside the primary (see `SitesTopology`).
     */
    standby: boolean;
    /** 'sync': commits wait for the standby (no acked write can be lost on failover). */
    replication: 'async' | 'sync';
  };
  redis: boolean;
  app: { version: string };
  /**
   * Prometheus, Alertmanager, the exporters and the drill's alert receivers beside the estate (the rules and
   * routing under test; `monitoring` capability). A drill without it may still get them with `--alerts`.
   */
  monitoring?: boolean;
  /** Two sites: the roles above at the primary site, a DR site fed from it (see `SitesTopology`). */
  sites?: SitesTopology;
}

/**
 * A primary site and a DR site, as the runbook's backup strategy feeds the DR site: the primary's WAL
 * segments shipped through the archive into the DR site (a standby restores them with `restore_command`), or
 * streamed besides; the primary Redis's RDB snapshots copied there; the app installed there.
 *
 * With `postgres.standby: true` (the Q4 exercise, whose first stage is Q1's failover) every backend offering
 * `sites` provides, at the PRIMARY site, a streaming standby exposed as `Estate.postgres.standby` (role name
 * `STANDBY_ROLE`), made and followed as on the one-site estate: a base backup of the primary, streaming through
 * the router's `repl` route (`replicationRoute`, `standbySettings`), `postgres.replication` honoured
 * (`followPrimary`: 'sync' makes it the primary's synchronous standby). It inherits the primary's settings
 * (`shippingSettings` among them) and adds `siteStandbySettings`: it archives into the same shipped archive
 * (`archive_mode = always`, a segment already there with the same contents counting as shipped). Promoted, it
 * keeps feeding the DR site: its timeline history file and new-timeline segments arrive in the DR site's
 * archive, and the DR database (`drStandbySettings`, `recovery_target_timeline = 'latest'`) follows the new
 * timeline. It is a role of the primary site: the site's kill, partition and fence take it with the rest, its
 * port is cut with the site's, and its pids and ports are the estate's resources.
 */
export interface SitesTopology {
  /** 'wal-shipping': only archived segments reach the DR database; 'streaming': the WAL stream as well. */
  feed: 'wal-shipping' | 'streaming';
  /** The primary's `archive_timeout` in ms: a segment is closed and shipped at least this often under writes. */
  archiveTimeoutMs: number;
  /** How often the primary Redis writes an RDB snapshot (it is shipped once written), in ms. */
  redisSnapshotMs: number;
  /** 'warm': the DR app runs but serves nobody until traffic is switched; 'cold': it is started by the runbook. */
  drApp: 'warm' | 'cold';
}

/** A role that is a running program: something a fault can kill or stop. */
export interface ProcessRole {
  readonly name: string;
  /** pid of the role's main process (for Postgres: the postmaster). */
  readonly pid: number | undefined;
  running(): boolean;
  /** Send a signal to the main process only, as `kill -SIG pid` would (docker: to the container's PID 1). */
  signal(sig: NodeJS.Signals): void | Promise<void>;
  /** Graceful stop; resolves when the process (and its group) is gone. Idempotent. */
  stop(): Promise<void>;
  /** Start again after a stop or a kill, with the same data and port. */
  restart(): Promise<void>;
}

export interface PgConnectionInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface PostgresRole extends ProcessRole {
  readonly port: number;
  readonly dataDir: string;
  connection(): PgConnectionInfo;
  /** One query on a fresh connection (short connect timeout): for probes, steps and read-back. */
  query<R extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  isInRecovery(): Promise<boolean>;
}

export interface RedisRole extends ProcessRole {
  readonly port: number;
  url(): string;
  /** The server's version, for the record's estate identity. */
  version?(): Promise<string | undefined>;
}

export interface AppRole extends ProcessRole {
  readonly port: number;
  /** The release running now. */
  readonly version: string;
  /** Replace the running release with another (stop, start with that release's configuration, wait ready). */
  deploy(version: string): Promise<void>;
}

export interface RouterRole extends ProcessRole {
  readonly client: RouterClient;
  /** Stable listen port per route name ('app', 'db'). */
  listenPort(route: 'app' | 'db'): number;
}

/** The identity an estate reports is part of the drill record (versions, identifiers, images). */
export type { EstateIdentity };

/** A provisioned estate: the roles a scenario may touch, and the stable endpoints clients use. */
export interface Estate {
  readonly backend: BackendName;
  readonly runDir: string;
  readonly postgres: { primary: PostgresRole; standby?: PostgresRole };
  readonly redis?: RedisRole;
  readonly app: AppRole;
  readonly router: RouterRole;
  /** Where clients go: the router's stable endpoints. */
  readonly endpoints: { app: string; db: PgConnectionInfo };
  /** Where backups live: the primary's WAL archive and the directory runbook blocks write backups into. */
  readonly backups: { archiveDir: string; backupDir: string };
  /**
   * Reserve a port and an empty data directory for a Postgres server a runbook block will start (a restore
   * onto separate infrastructure). The role is torn down with the estate.
   */
  spare(name: string): Promise<PostgresRole & { readonly dataDir: string }>;
  /** How runbook blocks run against this estate: their environment, OS account and secrets to redact. */
  shell(): RunbookShell;
  /** The database that holds the truth now: the one the clients' database endpoint points at. */
  authoritative(): Promise<PostgresRole>;
  identity(): Promise<EstateIdentity>;
  /** Process ids and ports the estate owns, for the leak check after teardown. */
  resources(): EstateResources;
  /** Prometheus, Alertmanager, the exporters and the alert receivers, when the drill has monitoring. */
  readonly monitoring?: MonitoringRole;
  /** A two-site estate's sites (absent on one site). */
  readonly sites?: EstateSites;
  /** The Redis the service uses now: on two sites, the one at the site the app endpoint leads to. */
  authoritativeRedis?(): Promise<RedisRole | undefined>;
}

/** The two sites of an estate provisioned with `Topology.sites`. */
export interface EstateSites {
  readonly primary: PrimarySite;
  readonly dr: DrSite;
}

/** The site that serves in normal operation: its roles die together. */
export interface PrimarySite {
  readonly name: string;
  /** Every role running at the site (the database, Redis, the app, the snapshot shipping). */
  readonly roles: readonly ProcessRole[];
  /** The whole site dies in one instant: every process of it SIGKILLed at once (docker: every container). */
  kill(): Promise<void>;
  /** Cut the site off the network: alive, unreachable (absent where a backend cannot). */
  partition?(): Promise<void>;
  /** Undo `partition`. */
  heal?(): Promise<void>;
  /** Make sure the site cannot take writes again: every role stopped, none restarted. Idempotent. */
  fence(): Promise<void>;
  readonly fenced: boolean;
  /** Lift the fence once the site is rebuilt (a failback): its roles may be started again. */
  unfence(): void;
  /** Start a role of the site by name (refused while the site is fenced), as a platform starts an instance. */
  start(name: string): Promise<void>;
}

/** The site the business moves to: what was shipped there and what is installed there. */
export interface DrSite {
  readonly name: string;
  readonly feed: SitesTopology['feed'];
  readonly archiveTimeoutMs: number;
  readonly appMode: SitesTopology['drApp'];
  /** The DR database: a standby restoring shipped WAL until it is promoted. */
  readonly postgres: PostgresRole;
  /** The DR Redis: not running until a runbook block restores the shipped snapshot into `redisDir`. */
  readonly redis?: RedisRole;
  /** The app at the DR site (warm: running; cold: not started). */
  readonly app: AppRole;
  /** On the host: where WAL segments are shipped (the primary's archive) and the Redis snapshots. */
  readonly walDir: string;
  readonly snapshotDir: string;
  /** On the host: the DR Redis's data directory. */
  readonly redisDir: string;
  /** Start a role of the DR site by name (the database, Redis, the app), as a platform starts an instance. */
  start(name: string): Promise<void>;
  /**
   * Make a server restored at the DR site (onto a spare) the DR site's database where the sites reach each
   * other through links (docker: the router's link to the DR database leads to it). Absent where every block
   * reaches every server directly (local).
   */
  adopt?(role: PostgresRole): Promise<void>;
}

/** The monitoring beside an estate: the rules and routing under test, running, and what the receivers got. */
export interface MonitoringRole {
  readonly prometheusUrl: string;
  readonly alertmanagerUrl: string;
  /** `--alert-time-scale`: every duration of the rules and routing divided by it. */
  readonly scale: number;
  /** The scrape and evaluation interval as running (scaled). */
  readonly scrapeIntervalMs: number;
  /** The alert rules under test, with their unscaled and scaled `for`. */
  readonly rules: readonly AlertRuleInfo[];
  readonly receivers: readonly ReceiverInfo[];
  /** The root route's group_wait, group_interval and repeat_interval as written (unscaled). */
  readonly routeTiming: Readonly<Record<string, string>>;
  /** The files under test (the user's, never edited: the drill runs generated copies). */
  readonly files: { rules: string; alertmanager: string; dashboard: string };
  /** Every notification the drill's receivers got so far. */
  notifications(): readonly Notification[];
  /**
   * The monitoring's own programs by name (`prometheus`, `alertmanager`, `node-exporter`, `postgres-exporter`,
   * `redis-exporter`), where the backend can stop and start them: what a fault of the monitoring itself acts on
   * (Alertmanager down before a deploy).
   */
  readonly processes?: Readonly<Record<string, ProcessRole>>;
  /** The database's size-limited volume (a tmpfs of fixed size), when the backend could make one. */
  readonly dbVolume?: {
    path: string;
    sizeBytes: number;
    owner?: { uid: number; gid: number };
    /**
     * Where the volume is not a path of this machine (docker: mounted in the database's container), how to fill
     * it to a fraction of its size with a ballast file its account owns, and how to remove that file again.
     */
    fill?(fraction: number): Promise<void>;
    clear?(): Promise<void>;
  };
}

/**
 * How runbook blocks run against this estate: where each kind of block runs, with which environment, and the
 * secrets to redact from what they print.
 */
export interface RunbookShell {
  /** Ordinary blocks: on the harness's machine, as the harness's account. */
  host: ShellSite;
  /**
   * Blocks marked as=postgres: where the database lives, as its OS account (local: the host as the `postgres`
   * account; docker: inside the database's container), with the addresses and directories as seen there.
   */
  database: ShellSite;
  secrets: string[];
}

/** A place a runbook block can run: its environment there, and how bash is started there. */
export interface ShellSite {
  /** The block's environment as seen from this site (`shellEnv`: DB_HOST, PRIMARY_PORT, BACKUP_DIR, ...). */
  env: Record<string, string>;
  /** The command that runs `bash <bashArgs>` at this site with `env` (values by environment only). */
  launch(bashArgs: readonly string[], env: NodeJS.ProcessEnv): Launch;
}

/** A program to start for a block: host bash (with an account and a directory), `docker exec`, `kubectl exec`. */
export interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

export interface EstateResources {
  pids: number[];
  ports: number[];
  /** Ports reserved on another address of this machine's reach (a kube node's), checked there. */
  nodePorts?: { host: string; port: number }[];
  dirs: string[];
}
