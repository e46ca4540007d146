/**
 * What a maintenance drill sets up so that its routines have something real to act on, each verified after: a
 * log directory with logs of known ages (the service's current log and rotated ones, 1 to 40 days old), and a
 * database session left idle inside a transaction, as a crashed job or a forgotten console leaves one.
 */
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { StepError } from '../../core/errors.ts';
import { join } from 'node:path';
import pg from 'pg';
import type { Step } from '../step.ts';

const DAY = 86_400_000;

/** The rotated logs planted, by age in days. */
export const PLANTED_LOG_AGES = [0, 1.5, 3, 10, 16, 40] as const;

/** A log directory under the run directory with the service's log and rotated logs of known ages (LOG_DIR). */
export function plantLogs(): Step {
  return {
    name: 'log directory with rotated logs of known ages',
    run(ctx) {
      const dir = join(ctx.estate.runDir, 'logs');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'app.log'), '{"level":"info","event":"current"}\n');
      PLANTED_LOG_AGES.forEach((days, i) => {
        const f = join(dir, `app.log.${i + 1}`);
        writeFileSync(f, `{"level":"info","event":"rotated","ageDays":${days}}\n`.repeat(200));
        const t = new Date(Date.now() - days * DAY);
        utimesSync(f, t, t);
      });
      ctx.vars.LOG_DIR = dir;
      return Promise.resolve({
        detail: `${dir}: app.log and ${PLANTED_LOG_AGES.length} rotated logs aged ${PLANTED_LOG_AGES.join(', ')} days`,
      });
    },
  };
}

/**
 * A session on the primary that opened a transaction, took a row lock and went idle: what the session cleanup
 * must end. It is closed at teardown if the cleanup did not end it.
 */
export function staleSession(): Step {
  return {
    name: 'a session left idle in a transaction',
    async run(ctx) {
      const client = new pg.Client({
        ...ctx.estate.postgres.primary.connection(),
        application_name: 'forgotten-console',
        connectionTimeoutMillis: 15_000,
      });
      client.on('error', () => undefined);
      await client.connect();
      ctx.defer?.('close the idle session', () => client.end().catch(() => undefined));
      await client.query('BEGIN');
      const r = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.query('SELECT 1 FROM pg_class LIMIT 1');
      return {
        detail: `backend pid ${r.rows[0]?.pid ?? '?'} idle in transaction (application forgotten-console)`,
      };
    },
  };
}

/**
 * Verify a log cleanup by what is left in LOG_DIR: no log older than `days`, and every planted log younger than
 * that still there (compressed or not).
 */
export function logsAfterCleanup(days: number): Step {
  return {
    name: `check: no log older than ${days} days left, the younger ones kept`,
    verifies: true,
    run(ctx) {
      const dir = ctx.vars.LOG_DIR;
      if (!dir) throw new StepError('no LOG_DIR: the logs were not planted');
      const files = readdirSync(dir).map((f) => ({
        f,
        age: (Date.now() - statSync(join(dir, f)).mtimeMs) / DAY,
      }));
      const old = files.filter((x) => x.age > days + 1).map((x) => x.f);
      const younger = PLANTED_LOG_AGES.filter((a) => a < days).length + 1; // and app.log
      const actual = `${old.length} older than ${days} days, ${files.length} kept`;
      const expected = `0 older than ${days} days, ${younger} kept`;
      const c = { name: `logs left in ${dir}`, expected, actual, passed: actual === expected };
      if (!c.passed)
        throw new StepError(`${c.name}: expected ${expected}, got ${actual} (${old.join(', ')})`, {
          checks: [c],
        });
      return Promise.resolve({
        detail: `${files.map((x) => `${x.f} (${x.age.toFixed(1)} d)`).join(', ')}`,
        checks: [c],
      });
    },
  };
}
