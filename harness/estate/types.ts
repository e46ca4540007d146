import type { EstateIdentity } from '../record/record.ts';
import type { RouterClient } from './router/client.ts';

export type BackendName = 'local' | 'docker';
export const BACKENDS: readonly BackendName[] = ['local', 'docker'];

/** What a drill asks its estate to be. Backends provide the same roles from it. */
export interface Topology {
  postgres: {
    /** Stand up a hot standby fed by streaming replication. */
    standby: boolean;
    /** 'sync': commits wait for the standby (no acked write can be lost on failover). */
    replication: 'async' | 'sync';
  };
  redis: boolean;
  app: { version: string };
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
}

export interface RunbookShell {
  env: Record<string, string>;
  cwd: string;
  /** The database's OS account, for blocks marked as=postgres (undefined: the harness's own account). */
  dbUser?: { uid: number; gid: number };
  /**
   * docker: blocks marked as=postgres run inside a database container (as its `postgres` account) rather than
   * on the host, with this environment instead of `env`: the addresses, ports and directories as seen there.
   */
  postgresExec?: { container: string; user: string; cwd: string; env: Record<string, string> };
  secrets: string[];
}

export interface EstateResources {
  pids: number[];
  ports: number[];
  dirs: string[];
}
