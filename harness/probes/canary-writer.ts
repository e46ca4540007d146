import type { Clock } from '../core/clock.ts';
import pg from 'pg';
import { renderBody, type SystemUnderTest } from '../config/system.ts';
import type { CanaryConfig } from '../config/schema.ts';
import { describe as describeError, EstateError } from '../core/errors.ts';
import { pgQuery } from '../estate/pg-query.ts';
import type { Estate, PgConnectionInfo } from '../estate/types.ts';
import { parseDuration, type DurationString } from '../core/duration.ts';
import { computeRpo, toRanges } from '../measure/rpo.ts';
import { evidenceOf } from '../measure/steady.ts';
import type { WriteEvent, WriteOutcome } from '../measure/timeline.ts';
import { once, type Observer, type StartedObserver } from './observer.ts';
import { httpRequest, jsonOrText } from './http-request.ts';
import { openLoop } from './open-loop.ts';

export interface CanaryWriterOptions {
  intervalMs: number;
  /** One write with its seq: its status or error, and what it means for data loss. */
  send: (seq: number) => Promise<{ outcome: WriteOutcome; status?: number; error?: string }>;
}

/**
 * What a write's answer means for data loss. Only an explicit commit is an ack (a status the config lists as
 * committed, or a body saying `committed: true`); only an explicit "not committed" is a failure (a body saying
 * `committed: false`, a 4xx); everything else (timeouts, cut connections, unexplained 5xx) is indeterminate,
 * because the client cannot know whether the row made it. Pure, so it is tested on its own.
 */
export function classifyWrite(
  status: number | undefined,
  body: unknown,
  committedStatuses: readonly number[] = [201],
): WriteOutcome {
  if (status === undefined) return 'indeterminate';
  if (committedStatuses.includes(status)) return 'ok';
  const committed =
    typeof body === 'object' && body !== null ? (body as { committed?: unknown }).committed : undefined;
  if (status === 409 && committed === true) return 'ok';
  if (committed === false) return 'fail';
  if (status >= 400 && status < 500) return 'fail';
  return 'indeterminate';
}

/**
 * One writer at a fixed rate through the system's write path (the config's canary). Each write carries a
 * strictly increasing seq; its send time, ack time and outcome go to the timeline.
 */
export class CanaryWriter {
  private loop: { stop(): void } | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: CanaryWriterOptions,
    private readonly record: (e: WriteEvent) => void,
  ) {}

  start(): void {
    this.loop = openLoop(this.clock, this.opts.intervalMs, (seq) => {
      const p = this.write(seq).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    });
  }

  /** Stop sending; resolves when every write in flight has its outcome. */
  async stop(): Promise<void> {
    this.loop?.stop();
    await Promise.all([...this.inFlight]);
  }

  private async write(seq: number): Promise<void> {
    const t = this.clock.now();
    const r = await this.opts.send(seq).catch((e: unknown) => ({
      outcome: 'indeterminate' as const,
      error: describeError(e),
    }));
    const end = this.clock.now();
    this.record({
      kind: 'write',
      seq,
      t,
      outcome: r.outcome,
      ...(r.outcome === 'ok' ? { ack: end } : {}),
      ...('status' in r && r.status !== undefined ? { status: r.status } : {}),
      ...(r.error ? { error: r.error } : {}),
    });
  }
}

/** Writes through the app: the config's method, path and body, its committed statuses. */
function appSender(
  baseUrl: string,
  canary: Extract<CanaryConfig, { through: 'app' }>,
  runId: string,
  timeoutMs: number,
): CanaryWriterOptions['send'] {
  const url = new URL(canary.path, baseUrl).toString();
  return async (seq) => {
    try {
      const res = await httpRequest(url, {
        method: canary.method,
        json: renderBody(canary.body, seq, runId),
        timeoutMs,
      });
      const body = jsonOrText(res.body);
      return { outcome: classifyWrite(res.status, body, canary.committed), status: res.status };
    } catch (e) {
      return { outcome: 'indeterminate', error: describeError(e) };
    }
  };
}

/**
 * The system's canary write, as its config describes it (through the app or through the database endpoint),
 * and the SQL that reads a run's canaries back: what the canary observer writes at a fixed rate, and what a
 * step writes once to verify where writes land.
 */
export function canaryWrite(
  system: SystemUnderTest,
  endpoints: Estate['endpoints'],
  runId: string,
  timeoutMs: number,
): { send: CanaryWriterOptions['send']; readBackSql: string; setup?: () => Promise<void> } {
  const canary = system.canary;
  if (canary.through === 'app')
    return { send: appSender(endpoints.app, canary, runId, timeoutMs), readBackSql: canary.readBack };
  return {
    send: databaseSender(endpoints.db, runId, timeoutMs),
    readBackSql: `SELECT seq::text AS seq FROM ${CANARY_TABLE} WHERE run_id = $1`,
    setup: async () => {
      await pgQuery(
        endpoints.db,
        `CREATE TABLE IF NOT EXISTS ${CANARY_TABLE} (run_id text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (run_id, seq))`,
      );
    },
  };
}

/** The table drillbook owns when the canary goes through the database endpoint. */
export const CANARY_TABLE = 'drillbook_canary';

/**
 * Writes through the clients' database endpoint into drillbook's own table, one connection per write as an app
 * without a pool would. A connection refused is a write never sent (a failure); an error after the statement
 * was sent is indeterminate.
 */
function databaseSender(
  conn: PgConnectionInfo,
  runId: string,
  timeoutMs: number,
): CanaryWriterOptions['send'] {
  return async (seq) => {
    const client = new pg.Client({ ...conn, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      return { outcome: 'fail', error: describeError(e) };
    }
    try {
      await client.query(`INSERT INTO ${CANARY_TABLE} (run_id, seq) VALUES ($1, $2)`, [runId, seq]);
      return { outcome: 'ok' };
    } catch (e) {
      return { outcome: 'indeterminate', error: describeError(e) };
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

export interface SqlCanaryOptions {
  /** Writes per second (default: the drill's `traffic.writesPerSecond`). */
  rate?: number;
  timeout?: DurationString;
}

/**
 * The database canary: writes through the application's write path, read back after recovery from the
 * authoritative database (wherever the clients' database endpoint points). It holds the steady state (writes
 * acknowledged, none refused) and measures the RPO (measure/rpo.ts); without a fault, loss is measured from
 * the end of observation.
 */
export function sqlCanary(opts: SqlCanaryOptions = {}): Observer {
  return {
    name: 'sql-canary',
    async start(ctx) {
      const writes: WriteEvent[] = [];
      const timeoutMs = opts.timeout
        ? parseDuration(opts.timeout, 'sqlCanary timeout')
        : ctx.traffic.writeTimeoutMs;
      const { send, readBackSql, setup } = canaryWrite(
        ctx.system,
        ctx.estate.endpoints,
        ctx.runId,
        timeoutMs,
      );
      await setup?.();
      // The read-back must work before anything is written: a query that fails now would fail after the fault.
      const readBack = async (): Promise<{ rows: { seq?: unknown }[]; from: string }> => {
        const db = await ctx.estate.authoritative();
        try {
          return { rows: await db.query<{ seq?: unknown }>(readBackSql, [ctx.runId]), from: db.name };
        } catch (e) {
          throw new EstateError(
            `${ctx.system.configFile}: canary.readBack failed on ${db.name}: ${describeError(e)}`,
          );
        }
      };
      const probe = await readBack();
      if (probe.rows.length && !('seq' in (probe.rows[0] ?? {})))
        throw new EstateError(`${ctx.system.configFile}: canary.readBack returns no column 'seq'`);
      const writer = new CanaryWriter(
        ctx.clock,
        {
          intervalMs: opts.rate
            ? 1000 / opts.rate
            : ctx.system.canary.rate
              ? 1000 / ctx.system.canary.rate
              : ctx.traffic.writeIntervalMs,
          send,
        },
        (e) => {
          writes.push(e);
          ctx.emit(e);
        },
      );
      let present: Set<number> | undefined;
      writer.start();
      const started: StartedObserver = {
        name: 'sql-canary',
        steady: (since) =>
          evidenceOf(
            'canary writes acknowledged',
            writes.map((w) => ({ t: w.t, ok: w.outcome === 'ok' })),
            since,
            1,
          ),
        stop: once(() => writer.stop()),
        async readBack({ note }) {
          const { rows, from } = await readBack();
          note(`read back ${rows.length} canary rows from ${from}`);
          present = new Set(rows.map((r) => Number(r.seq)));
        },
        measure: ({ faultAt, now }) =>
          present
            ? {
                rpo: computeRpo(writes, present, faultAt ?? now),
                canaryRowsRead: present.size,
                presentSeqRanges: toRanges([...present]),
              }
            : {},
      };
      return started;
    },
  };
}
