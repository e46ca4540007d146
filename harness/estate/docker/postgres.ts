import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EstateError } from '../../core/errors.ts';
import type { PgConnectionInfo, PostgresRole } from '../types.ts';
import { pgQuery } from '../pg-query.ts';
import { confLines, PG_HBA } from '../postgres-config.ts';
import { PROJECT_ROOT } from '../host/project-root.ts';
import type { AddressBook } from './app.ts';
import { DockerService, type ContainerSpec } from './container.ts';
import { freePorts } from '../host/ports.ts';
import { dockerode, inspectImage } from './engine.ts';
import { PG_TEMPLATE_SUFFIX, PG_TEMPLATES } from './images.ts';

/**
 * Where the data directory, the WAL archive and the backups live inside a Postgres container. The archive and
 * the backups are the run directory's, bind-mounted into the primary and into every spare server, so a restore
 * onto a spare reads the same files the primary wrote.
 */
export const PG_DATA = '/var/lib/postgresql/drill';
export const PG_ARCHIVE = '/var/lib/postgresql/wal-archive';
export const PG_BACKUPS = '/var/lib/postgresql/backups';
export const PG_PORT = 5432;
/** The PATH runbook blocks get inside a Postgres container (the server binaries first, as on the host). */
/** The template's authentication rules as shell words, one quoted line each. */
const PG_HBA_WORDS = PG_HBA.trim()
  .split('\n')
  .map((line) => `'${line}'`)
  .join(' ');
export const PG_CONTAINER_PATH = '/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin';

/**
 * The container's program, run as the image's `postgres` account: on first start, a copy of the image's template
 * cluster given the run's password, or initdb where the image has none (primary), or pg_basebackup from the
 * primary over the estate network (standby), with the estate's settings appended;
 * then the postmaster as PID 1, so `docker kill -s KILL` is kill -9 of the postmaster. A restart finds the
 * data directory in place and only starts the server. The same script runs on the official postgres image
 * and on the one `drill images build` makes (both Debian-based, binaries under /usr/lib/postgresql/15/bin).
 */
export const PG_ENTRYPOINT = `set -euo pipefail
export PATH="/usr/lib/postgresql/15/bin:$PATH"
D=${PG_DATA}
if [ ! -s "$D/PG_VERSION" ]; then
  if [ "$PG_ROLE" = primary ]; then
    install -d -m 700 "$D" ${PG_ARCHIVE}
    T=${PG_TEMPLATES}/$PG_SUPERUSER-wal\${PG_WAL_SEGSIZE:-16}${PG_TEMPLATE_SUFFIX}
    if [ -s "$T/PG_VERSION" ]; then
      cp -a "$T/." "$D/"
      printf '%s\\n' ${PG_HBA_WORDS} > "$D/pg_hba.conf"
      pwq=$(printf %s "$PG_PASSWORD" | sed "s/'/''/g")
      printf "ALTER ROLE \\"%s\\" PASSWORD '%s';\\n" "$PG_SUPERUSER" "$pwq" | postgres --single -D "$D" -c log_min_messages=warning postgres > /dev/null
    else
      pw=$(mktemp); printf '%s\\n' "$PG_PASSWORD" > "$pw"
      initdb -D "$D" -U "$PG_SUPERUSER" --pwfile="$pw" --auth=scram-sha-256 -E UTF8 --locale=C --no-sync --no-instructions \${PG_WAL_SEGSIZE:+--wal-segsize=$PG_WAL_SEGSIZE} > /dev/null
      rm -f "$pw"
    fi
    printf 'host replication all all scram-sha-256\\nhost all all all scram-sha-256\\n' >> "$D/pg_hba.conf"
  else
    # The container may start before its upstream is up (the estate starts them side by side): wait for it.
    until pg_isready -q -h "$PG_UPSTREAM" -p "\${PG_UPSTREAM_PORT:-${PG_PORT}}" -t 1; do sleep 0.05; done
    PGPASSWORD="$PG_PASSWORD" pg_basebackup -h "$PG_UPSTREAM" -p "\${PG_UPSTREAM_PORT:-${PG_PORT}}" -U "$PG_SUPERUSER" -D "$D" -X stream -c fast \${PG_SLOT:+-C -S "$PG_SLOT"} --no-sync -w
    touch "$D/standby.signal"
  fi
  printf '\\n# drillbook estate settings\\n%s\\n' "$PG_CONF" >> "$D/postgresql.conf"
fi
exec postgres -D "$D"
`;

export interface DockerPgSpec {
  base: Omit<ContainerSpec, 'ready' | 'env' | 'entrypoint' | 'cmd' | 'user' | 'stopSignal'>;
  superuser: string;
  password: string;
  database: string;
  /** postgresql.conf lines appended at creation. */
  conf: Record<string, string | number>;
  /**
   * A standby: the primary's network alias (and port, default 5432) and the replication slot to create there
   * (none: a DR standby fed by shipped WAL only).
   */
  upstream?: { alias: string; slot?: string; port?: number };
  /** A primary's WAL segment size in MB (initdb's `--wal-segsize`; default 16). */
  walSegmentMb?: number;
}

/** A PostgreSQL server in a container, queried from the host through its port published on 127.0.0.1. */
export class DockerPostgres extends DockerService implements PostgresRole {
  readonly dataDir = PG_DATA;

  constructor(private readonly pg: DockerPgSpec) {
    super({
      ...pg.base,
      user: 'postgres',
      stopSignal: 'SIGINT',
      entrypoint: ['bash', '-c', PG_ENTRYPOINT],
      env: {
        PG_ROLE: pg.upstream ? 'standby' : 'primary',
        PG_SUPERUSER: pg.superuser,
        PG_PASSWORD: pg.password,
        PG_CONF: confLines(pg.conf),
        LANG: 'C',
        ...(pg.upstream
          ? {
              PG_UPSTREAM: pg.upstream.alias,
              ...(pg.upstream.slot ? { PG_SLOT: pg.upstream.slot } : {}),
              ...(pg.upstream.port ? { PG_UPSTREAM_PORT: String(pg.upstream.port) } : {}),
            }
          : {}),
        ...(pg.walSegmentMb ? { PG_WAL_SEGSIZE: String(pg.walSegmentMb) } : {}),
      },
    });
  }

  protected override async isReady(): Promise<boolean> {
    await this.adminQuery('SELECT 1');
    return true;
  }

  /** The host port clients and the harness use. */
  get port(): number {
    return this.spec.ports[0]?.host ?? 0;
  }
  /** Where the server is on the estate network. */
  get internalAddress(): string {
    return `${this.spec.alias}:${PG_PORT}`;
  }

  connection(): PgConnectionInfo {
    return {
      host: '127.0.0.1',
      port: this.port,
      user: this.pg.superuser,
      password: this.pg.password,
      database: this.pg.database,
    };
  }

  query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return pgQuery<R>(this.connection(), sql, params);
  }
  adminQuery(sql: string): Promise<Record<string, unknown>[]> {
    return pgQuery({ ...this.connection(), database: 'postgres' }, sql, []);
  }
  async isInRecovery(): Promise<boolean> {
    const [row] = await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    return row?.r === true;
  }
}

const uidCache = new Map<string, Promise<{ uid: number; gid: number }>>();

/** Where an image's account, once asked, is kept for later processes: by image id, so by its exact content. */
const ACCOUNT_CACHE = join(PROJECT_ROOT, 'node_modules', '.cache', 'drillbook', 'image-accounts');

/**
 * The image's `postgres` account (uid 999 on the official image, another on the one `drill images build`
 * makes): host directories bind-mounted into its containers are given to it. Asked once per image content: a
 * short-lived container (labelled with the run, so a sweep finds it should the harness die meanwhile) runs `id`,
 * and the answer is kept on disk under the image's id, which names the image's layers, so a rebuilt image is
 * asked again. The container cost 0.6-2 s on every drill's critical path before anything else could start.
 */
export function imagePostgresUser(
  image: string,
  labels: Record<string, string>,
): Promise<{ uid: number; gid: number }> {
  let p = uidCache.get(image);
  if (!p) {
    p = accountOf(image, labels);
    p.catch(() => uidCache.delete(image));
    uidCache.set(image, p);
  }
  return p;
}

async function accountOf(
  image: string,
  labels: Record<string, string>,
): Promise<{ uid: number; gid: number }> {
  const id = (await inspectImage(await dockerode(), image))?.id;
  const file = id ? join(ACCOUNT_CACHE, `${id.replace(/^sha256:/, '')}.json`) : undefined;
  if (file) {
    try {
      const kept = JSON.parse(readFileSync(file, 'utf8')) as { uid?: unknown; gid?: unknown };
      if (Number.isInteger(kept.uid) && Number.isInteger(kept.gid))
        return { uid: kept.uid as number, gid: kept.gid as number };
    } catch {
      // Not asked yet on this machine (or unreadable): ask the image.
    }
  }
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const { stdout } = await promisify(execFile)(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      ...labelArgs,
      '--user',
      'postgres',
      '--entrypoint',
      'id',
      id ?? image,
    ],
    { timeout: 30_000 },
  );
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  if (uid === undefined || gid === undefined)
    throw new EstateError(`no postgres account in image ${image} (id said: ${stdout.trim()})`);
  const account = { uid: Number(uid), gid: Number(gid) };
  if (file) {
    try {
      mkdirSync(ACCOUNT_CACHE, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(account));
      renameSync(tmp, file);
    } catch {
      // A cache that cannot be written: the next process asks again.
    }
  }
  return account;
}

/**
 * The idle program of a spare server's container: it makes the empty data directory a runbook block restores
 * into and waits; the block starts (pg_ctl) the server in it, on the port the container publishes.
 */
const SPARE_ENTRYPOINT = `set -euo pipefail
install -d -m 700 "$SPARE_DIR"
trap 'exit 0' TERM INT
while :; do sleep 1 & wait $! || true; done
`;

/**
 * Separate infrastructure for a restore on the docker backend: a container of the Postgres image on the
 * estate's network, under its own name, with the WAL archive and the backups mounted, idle until a runbook
 * block (run inside it, as=postgres) restores a base backup into its data directory and starts the server.
 * The server listens inside on the same port number the container publishes on 127.0.0.1, so the port a
 * block is given (<PREFIX>_PORT) is right both where the block runs and for the harness; the router reaches
 * it as `<name>:<port>`.
 */
export class DockerSparePostgres extends DockerService implements PostgresRole {
  readonly dataDir: string;

  /** `dataDir`: where a block restores into (default: in the container; a bind-mounted host path is kept). */
  constructor(
    base: Omit<ContainerSpec, 'ready' | 'env' | 'entrypoint' | 'cmd' | 'user' | 'stopSignal'>,
    private readonly conn: Omit<PgConnectionInfo, 'host' | 'port'>,
    dataDir = `/var/lib/postgresql/${base.role}`,
  ) {
    super({
      ...base,
      user: 'postgres',
      stopSignal: 'SIGTERM',
      entrypoint: ['bash', '-c', SPARE_ENTRYPOINT],
      env: { SPARE_DIR: dataDir, LANG: 'C' },
    });
    this.dataDir = dataDir;
  }

  /** Ready when its empty data directory exists (the server itself is a runbook block's to start). */
  protected override async isReady(): Promise<boolean> {
    return (await this.exec(['test', '-d', this.dataDir], 'postgres')).exitCode === 0;
  }

  get port(): number {
    return this.spec.ports[0]?.host ?? 0;
  }
  get internalAddress(): string {
    return `${this.spec.alias}:${this.port}`;
  }
  /** To the postmaster a block started (not the container's idle PID 1), as `kill -SIG <postmaster>` would. */
  override async signal(sig: NodeJS.Signals): Promise<void> {
    const pidFile = `${this.dataDir}/postmaster.pid`;
    await this.exec(
      [
        'bash',
        '-c',
        `test -f ${pidFile} && kill -${sig.replace(/^SIG/, '')} "$(head -1 ${pidFile})" || true`,
      ],
      'postgres',
    );
  }
  /**
   * The server a block started is shut down cleanly first (a fast shutdown: its last WAL reaches a connected
   * standby, and its control file says `shut down`), then the idle container is stopped.
   */
  override async stop(): Promise<void> {
    if (this.running()) {
      const pidFile = `${this.dataDir}/postmaster.pid`;
      await this.exec(
        [
          'bash',
          '-c',
          `test -f ${pidFile} || exit 0; kill -INT "$(head -1 ${pidFile})"; for _ in $(seq 1 600); do test -f ${pidFile} || exit 0; sleep 0.05; done; exit 1`,
        ],
        'postgres',
      );
    }
    await super.stop();
  }
  /** A server started by a runbook block is started again the same way, not by the harness. */
  override restart(): Promise<void> {
    return Promise.reject(
      new EstateError(`${this.name} was started by a runbook block; start it again the same way`),
    );
  }

  connection(): PgConnectionInfo {
    return { ...this.conn, host: '127.0.0.1', port: this.port };
  }
  query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return pgQuery<R>(this.connection(), sql, params);
  }
  async isInRecovery(): Promise<boolean> {
    const [row] = await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    return row?.r === true;
  }
}

/** What a docker estate keeps of each container it makes: its address on the host, and its removal at teardown. */
export interface ContainerLedger {
  book: AddressBook;
  removeOnTeardown(what: string, svc: { remove(): Promise<void> }): void;
}

/**
 * A spare server for a runbook block's restore, on a free port (the same number on the host and in the
 * container, so a block's address is one number): entered in the estate's address book, removed at teardown,
 * created, and announced as `<where>: idle container …`.
 */
export async function createSpare(
  ledger: ContainerLedger,
  make: (port: number) => DockerSparePostgres,
  where: string,
  note?: (message: string) => void,
): Promise<DockerSparePostgres> {
  const [port] = (await freePorts(1)) as [number];
  const role = make(port);
  ledger.book.add(port, role.internalAddress);
  ledger.removeOnTeardown(role.spec.name, role);
  await role.create();
  note?.(`${where}: idle container ${role.spec.name} (127.0.0.1:${port}) for a runbook block's restore`);
  return role;
}
