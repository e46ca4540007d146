import type { PgConnectionInfo, PostgresRole } from '../types.ts';
import { pgQuery } from '../local/postgres.ts';
import { DockerService, type ContainerSpec } from './container.ts';

/** Where the data directory and the WAL archive live inside a Postgres container. */
export const PG_DATA = '/var/lib/postgresql/drill';
export const PG_ARCHIVE = '/var/lib/postgresql/wal-archive';
export const PG_PORT = 5432;

/**
 * The container's program, run as the image's `postgres` account: on first start, initdb (primary) or
 * pg_basebackup from the primary over the estate network (standby), with the estate's settings appended;
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
    pw=$(mktemp); printf '%s\\n' "$PG_PASSWORD" > "$pw"
    initdb -D "$D" -U "$PG_SUPERUSER" --pwfile="$pw" --auth=scram-sha-256 -E UTF8 --locale=C --no-sync --no-instructions > /dev/null
    rm -f "$pw"
    printf 'host replication all all scram-sha-256\\nhost all all all scram-sha-256\\n' >> "$D/pg_hba.conf"
  else
    PGPASSWORD="$PG_PASSWORD" pg_basebackup -h "$PG_UPSTREAM" -p ${PG_PORT} -U "$PG_SUPERUSER" -D "$D" -X stream -c fast -C -S "$PG_SLOT" --no-sync -w
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
  /** A standby: the primary's network alias and the replication slot to create there. */
  upstream?: { alias: string; slot: string };
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
        ...(pg.upstream ? { PG_UPSTREAM: pg.upstream.alias, PG_SLOT: pg.upstream.slot } : {}),
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

export function confLines(settings: Record<string, string | number>): string {
  const quote = (v: string | number) => (typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`);
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${quote(v)}`)
    .join('\n');
}
