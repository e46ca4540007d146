/** What both backends answer the same way, from the roles they provide. */
import { Redis } from 'ioredis';
import { EstateError } from '../core/errors.ts';
import type { EstateIdentity, PostgresRole, RouterRole } from './types.ts';

/** The server the clients' database endpoint (the router's `db` route) points at now: the truth after recovery. */
export async function endpointTarget(
  router: RouterRole,
  nodes: readonly (PostgresRole | undefined)[],
): Promise<PostgresRole> {
  const route = (await router.client.routes()).find((r) => r.name === 'db');
  const port = Number(route?.target.split(':').at(-1));
  const node = nodes.find((n) => n?.port === port);
  if (!node) {
    throw new EstateError(
      `the database endpoint points at ${route?.target ?? 'nothing'}, which is no server of this estate`,
    );
  }
  return node;
}

/** Version and system identifier of a database, for the record's estate identity (empty when unreachable). */
export async function databaseIdentity(
  db: PostgresRole | undefined,
): Promise<Pick<EstateIdentity, 'postgresVersion' | 'postgresSystemIdentifier'>> {
  if (!db) return {};
  const [row] = await db
    .query<{ v: string; id: string }>(
      `SELECT current_setting('server_version') AS v, (SELECT system_identifier::text FROM pg_control_system()) AS id`,
    )
    .catch(() => []);
  return row ? { postgresVersion: row.v, postgresSystemIdentifier: row.id } : {};
}

/** One command on a short-lived connection to 127.0.0.1:port (fails fast when Redis is down). */
export async function redisCommand(port: number, name: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(name, ...args);
  } finally {
    client.disconnect();
  }
}
