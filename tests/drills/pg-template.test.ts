import { describe, expect, it } from 'vitest';
import { pgQuery } from '../../harness/estate/pg-query.ts';
import { unprivilegedUser, requirePgBinDir } from '../../harness/estate/host/binaries.ts';
import { freePorts } from '../../harness/estate/host/ports.ts';
import { createRunDir, removeRunDir } from '../../harness/estate/host/run-dir.ts';
import { LocalPostgres } from '../../harness/estate/local/postgres.ts';
import { primarySettings, SUPERUSER } from '../../harness/estate/postgres-config.ts';

/** Two primaries of the local backend, made from the machine's template cluster, each with its own password. */
describe('a primary made from the template cluster', () => {
  it('takes its own password and no other: the template is initialised with trust, the copy is not', async () => {
    const runDir = createRunDir(`pgtemplate-${process.pid}`, 'pg-template');
    const servers: LocalPostgres[] = [];
    try {
      const ports = await freePorts(2);
      for (const [i, port] of ports.entries()) {
        const pg = new LocalPostgres({
          name: `postgres-${i}`,
          binDir: requirePgBinDir(),
          runDir,
          runId: `pgtemplate-${process.pid}`,
          port,
          user: unprivilegedUser(),
          superuser: SUPERUSER,
          password: `secret-${i}-it's`,
          database: 'postgres',
          startTimeoutMs: 30_000,
        });
        servers.push(pg);
        await pg.initPrimary(
          primarySettings(`${runDir}/archive-${i}`, {
            listen_addresses: '127.0.0.1',
            unix_socket_directories: '',
          }),
        );
        await pg.start();
      }
      for (const [i, pg] of servers.entries()) {
        const conn = pg.connection();
        const [row] = await pgQuery<{ u: string }>(conn, 'SELECT current_user AS u', []);
        expect(row?.u).toBe(SUPERUSER);
        // Another server's password, an empty one, and a wrong one are all refused.
        for (const password of [`secret-${1 - i}-it's`, 'x', 'trust']) {
          await expect(pgQuery({ ...conn, password }, 'SELECT 1', [])).rejects.toThrow(
            /password authentication failed/,
          );
        }
      }
      // Both clusters are copies of one template (initdb would have given each its own system identifier).
      const ids = await Promise.all(
        servers.map(async (pg) => {
          const [row] = await pgQuery<{ id: string }>(
            pg.connection(),
            'SELECT system_identifier::text AS id FROM pg_control_system()',
            [],
          );
          return row?.id;
        }),
      );
      expect(ids[0]).toBeDefined();
      expect(ids[1]).toBe(ids[0]);
    } finally {
      for (const pg of servers) await pg.stop().catch(() => undefined);
      removeRunDir(runDir);
    }
  });
});
