import pg from 'pg';
import type { PgConnectionInfo } from './types.ts';

/** One statement on a fresh connection with short timeouts: probes and steps must never hang on a dead server. */
export async function pgQuery<R extends Record<string, unknown>>(
  conn: PgConnectionInfo,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ ...conn, connectionTimeoutMillis: 1000, query_timeout: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const res = await client.query<R>(sql, params);
    return res.rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}
