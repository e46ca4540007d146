/**
 * The estate's PostgreSQL, written once for every backend: its settings, continuous archiving, and streaming
 * replication to a standby (asynchronous or synchronous). Backends differ only in where the servers run.
 */
import pg from 'pg';
import { poll } from '../core/poll.ts';
import type { ReplicationSample } from '../measure/timeline.ts';
import type { RouteConfig } from './router/types.ts';
import type { PostgresRole } from './types.ts';

/** The superuser every estate's servers are initialised with (the runbook's DB_USER). */
export const SUPERUSER = 'drill';
/** The application's database (the runbook's DB_NAME). */
export const APP_DATABASE = 'app';
/** The role name of the standby server; its replication slot and application_name derive from it. */
export const STANDBY_ROLE = 'postgres-standby';

/**
 * A primary made from a template cluster (initialised with `--auth=trust`) gets the rules initdb writes with
 * `--auth=scram-sha-256`; each backend adds where its clients come from.
 */
export const PG_HBA = [
  'local all all scram-sha-256',
  'host all all 127.0.0.1/32 scram-sha-256',
  'host all all ::1/128 scram-sha-256',
  'local replication all scram-sha-256',
  'host replication all 127.0.0.1/32 scram-sha-256',
  'host replication all ::1/128 scram-sha-256',
  '',
].join('\n');

/**
 * initdb's arguments for a template cluster (after `-D DIR`): trust for now, the rules and password are the copy's
 * (PG_HBA, passwordStatement). The same for the local cache and the postgres image's layer.
 */
export function templateInitdbArgs(superuser: string, walSegmentMb: number): string[] {
  return [
    '-U',
    superuser,
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
    `--wal-segsize=${walSegmentMb}`,
  ];
}

/**
 * What a template cluster holds beyond initdb's: the application's database, made once with the template instead
 * of by every primary (CREATE DATABASE copies template1 and checkpoints: ~0.1 s of each start-up here). Fed to
 * single-user mode on stdin. A primary that was not made from such a template gets it from `ensureAppDatabase`.
 */
export const TEMPLATE_SQL = `CREATE DATABASE ${APP_DATABASE};\n`;

/** The application's database on a fresh primary: already there when it was a template's copy, else created. */
export async function ensureAppDatabase(primary: {
  adminQuery(sql: string): Promise<Record<string, unknown>[]>;
}): Promise<void> {
  const have = await primary.adminQuery(`SELECT 1 FROM pg_database WHERE datname = '${APP_DATABASE}'`);
  if (have.length === 0) await primary.adminQuery(`CREATE DATABASE ${APP_DATABASE}`);
}

/** The statement that gives a template's superuser the run's password (fed to single-user mode on stdin, never argv). */
export function passwordStatement(superuser: string, password: string): string {
  return `ALTER ROLE "${superuser.replaceAll('"', '""')}" PASSWORD '${password.replaceAll("'", "''")}';\n`;
}

/** Settings every Postgres of the estate gets; a standby inherits them through pg_basebackup. */
const PG_SETTINGS = {
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
 * A primary's settings: where it listens (the backend's to say), the estate's settings, and continuous
 * archiving as the runbook's backup strategy requires: every completed WAL segment is copied to the archive
 * (a directory as the server sees it), never overwriting one already there.
 */
export function primarySettings(
  archiveDir: string,
  listen: Record<string, string>,
): Record<string, string | number> {
  return {
    ...listen,
    ...PG_SETTINGS,
    archive_mode: 'on',
    archive_command: `test ! -f '${archiveDir}/%f' && cp '%p' '${archiveDir}/%f'`,
  };
}

/** The role name of the DR site's database (two-site estates). */
export const DR_ROLE = 'postgres-dr';

/**
 * WAL segment size of a two-site primary, in MB (initdb --wal-segsize): `archive_timeout` closes a segment at
 * least that often, and each closed segment is a whole file shipped to the DR site, so segments are smaller
 * than the default 16 MB; large enough that a drill's writes do not fill one before archive_timeout does (with
 * 1 MB they did every 2.4 s), so the shipping interval is archive_timeout's.
 */
export const SITES_WAL_SEGMENT_MB = 4;

/**
 * The file in the DR site's archive that says the link from the primary site is cut (a partition): while it is
 * there the primary's `archive_command` fails, as a copy to an unreachable site would, and PostgreSQL keeps
 * the segment and retries. A dot file: `ls` and the segment pattern never see it.
 */
export const LINK_DOWN_FILE = '.link-down';

/**
 * What a two-site primary adds: every segment closed (and so shipped) at least every `archiveTimeoutMs`, into
 * `archiveDir` (as the server sees it) unless the link to the DR site is cut (`LINK_DOWN_FILE`).
 */
export function shippingSettings(archiveTimeoutMs: number, archiveDir: string): Record<string, string> {
  return {
    archive_timeout: `${Math.round(archiveTimeoutMs / 1000)}s`,
    // Hint-bit changes WAL-logged: after a DR activation the old primary can be rewound (pg_rewind) onto the
    // promoted DR database's timeline instead of copied whole.
    wal_log_hints: 'on',
    archive_command: shipCommand(archiveDir),
  };
}

/**
 * Ship a segment into the DR site's archive, never overwriting one: a file already there with the same contents
 * counts as shipped (PostgreSQL's own advice for an archive two servers feed, as a primary and its same-site
 * standby do, see `siteStandbySettings`); one with other contents fails, and PostgreSQL retries.
 */
function shipCommand(archiveDir: string): string {
  const dest = `'${archiveDir}/%f'`;
  return `test ! -f '${archiveDir}/${LINK_DOWN_FILE}' && if test -f ${dest}; then cmp -s '%p' ${dest}; else cp '%p' ${dest}; fi`;
}

/**
 * What the primary site's streaming standby adds to what it inherits from the two-site primary (its shipping
 * settings among them): it archives every segment it receives too (`archive_mode = always`), into the same
 * archive. Promoted (a Q1 failover at the primary site), it ships its new timeline (the history file first) the
 * way the primary did; and a segment the dead primary completed but had not shipped yet is shipped by the
 * standby, so the DR database, following the latest timeline, finds no gap before the fork.
 */
export function siteStandbySettings(archiveDir: string): Record<string, string> {
  return { archive_mode: 'always', archive_command: shipCommand(archiveDir) };
}

/**
 * A DR standby that restores the segments shipped into `walDir` (as the server sees it), looking for the next
 * one every 100 ms; promoted, it first restores every segment there, then leaves recovery.
 */
export function drStandbySettings(walDir: string): Record<string, string> {
  return {
    restore_command: `cp '${walDir}/%f' '%p'`,
    wal_retrieve_retry_interval: '100ms',
    // A failover at the primary site (its standby promoted) ships a new timeline: the DR database follows it.
    recovery_target_timeline: 'latest',
  };
}

/**
 * The router's route that carries the standby's replication connection (its WAL stream) to the primary. The
 * standby follows the primary through it on every backend, so a drill can degrade the link between the two
 * sites (`Fault.lagReplication`) without touching either server. It is never on the clients' path.
 */
export const REPLICATION_ROUTE = 'repl';

/** The replication route of a router: listening on `listen`, leading to the primary at `primary` (host:port). */
export function replicationRoute(listen: number, primary: string): RouteConfig {
  return { name: REPLICATION_ROUTE, listen, target: primary };
}

/**
 * What a standby adds to the settings it inherits: whom it follows (`upstream`: the router's replication route
 * as the standby reaches it), under which name and slot.
 */
export function standbySettings(
  upstream: { host: string; port: number },
  password: string,
  role: string = STANDBY_ROLE,
): Record<string, string> {
  const name = replicationName(role);
  return {
    primary_conninfo: `host=${upstream.host} port=${upstream.port} user=${SUPERUSER} password=${password} application_name=${name}`,
    primary_slot_name: name,
  };
}

/** A role's replication slot and application_name ('postgres-standby' -> 'postgres_standby'). */
export function replicationName(role: string): string {
  return role.replace(/[^a-z0-9_]/g, '_');
}

/** postgresql.conf lines, values quoted as the file wants them. */
export function confLines(settings: Record<string, string | number>): string {
  const quote = (v: string | number) => (typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`);
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${quote(v)}`)
    .join('\n');
}

/**
 * Once the standby runs: wait until it streams from the primary; for synchronous replication, make it the
 * primary's synchronous standby and wait until the primary reports it so (from then on no acked commit can be
 * lost on failover).
 */
export async function followPrimary(
  primary: PostgresRole,
  replication: 'async' | 'sync',
  timeoutMs: number,
  role: string = STANDBY_ROLE,
): Promise<void> {
  const name = replicationName(role);
  await waitReplication(primary, name, 'streaming', timeoutMs);
  if (replication === 'sync') {
    await primary.query(`ALTER SYSTEM SET synchronous_standby_names = '${name}'`);
    await primary.query('SELECT pg_reload_conf()');
    await waitReplication(primary, name, 'sync', timeoutMs);
  }
}

async function waitReplication(
  primary: PostgresRole,
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

/**
 * A session on the primary that reads the standby's replication state (`pg_stat_replication`), opened ahead of
 * the instant it matters: one sample then costs a round trip, not a connection. `close()` is idempotent.
 */
export interface ReplicationMonitor {
  /** The standby's row, or null when the standby is not connected at all. */
  sample(): Promise<ReplicationSample | null>;
  close(): Promise<void>;
}

export async function openReplicationMonitor(primary: PostgresRole): Promise<ReplicationMonitor> {
  const client = new pg.Client({
    ...primary.connection(),
    connectionTimeoutMillis: 2000,
    query_timeout: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  let closing: Promise<void> | undefined;
  const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;
  const behind = (lsn: string) => `coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsn}), 0)::float8`;
  return {
    async sample() {
      const res = await client.query<Record<string, string | number | null>>(
        `SELECT state, sync_state,
                ${ms('write_lag')} AS write_lag, ${ms('flush_lag')} AS flush_lag, ${ms('replay_lag')} AS replay_lag,
                ${behind('sent_lsn')} AS unsent, ${behind('write_lsn')} AS unwritten,
                ${behind('flush_lsn')} AS unflushed, ${behind('replay_lsn')} AS unreplayed,
                ${ms('clock_timestamp() - reply_time')} AS reply_age
           FROM pg_stat_replication WHERE application_name = $1`,
        [replicationName(STANDBY_ROLE)],
      );
      const row = res.rows[0];
      if (!row) return null;
      const num = (v: string | number | null | undefined) =>
        v === null || v === undefined ? null : Number(v);
      return {
        state: String(row.state),
        syncState: String(row.sync_state),
        writeLagMs: num(row.write_lag),
        flushLagMs: num(row.flush_lag),
        replayLagMs: num(row.replay_lag),
        unsentBytes: num(row.unsent) ?? 0,
        unwrittenBytes: num(row.unwritten) ?? 0,
        unflushedBytes: num(row.unflushed) ?? 0,
        unreplayedBytes: num(row.unreplayed) ?? 0,
        replyAgeMs: num(row.reply_age),
      };
    },
    close: () => (closing ??= client.end().catch(() => undefined)),
  };
}
