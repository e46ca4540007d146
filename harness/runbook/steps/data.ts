/**
 * Steps on the data itself: seed and damage it with SQL, record a fingerprint, check or compare it later,
 * reserve a spare server for a restore.
 */
import type { PostgresRole } from '../../estate/types.ts';
import { describe, StepError } from '../../core/errors.ts';
import type { CheckKind, IntegrityCheck } from '../../record/record.ts';
import type { RoleRef, Step, StepContext } from '../step.ts';

/**
 * Compare a query's answer on one server with what was recorded earlier (a var) or a fixed value; the result
 * is an integrity check in the record. Throws when it does not match, so the procedure stops there.
 */
/** One query's rows as a single comparable string: "1000 9f86d081…". */
async function answer(db: PostgresRole, sql: string, params: unknown[] = []): Promise<string> {
  const rows = await db.query<Record<string, unknown>>(sql, params);
  return rows.map((r) => Object.values(r).map(String).join(' ')).join('; ');
}

/**
 * Run a query that comes from the config file: when the running system refuses it, the error names the field
 * (`data.fingerprint failed on postgres-primary: relation "stock" does not exist`), not just the SQL.
 */
async function fromConfig<T>(
  ctx: StepContext,
  field: string | undefined,
  db: PostgresRole,
  query: () => Promise<T>,
): Promise<T> {
  if (!field) return query();
  try {
    return await query();
  } catch (e) {
    const file = ctx.system?.configFile;
    throw new StepError(`${file ? `${file}: ` : ''}${field} failed on ${db.name}: ${describe(e)}`);
  }
}

export function check(
  name: string,
  on: RoleRef,
  sql: string,
  expected: (ctx: StepContext) => string,
  /** What the check establishes (row counts, a checksum, marker rows), for the report. */
  kind?: CheckKind,
  /** The config field the SQL comes from (`data.fingerprint`), named when the query fails. */
  field?: string,
): Step {
  return {
    name: `check: ${name}`,
    verifies: true,
    async run(ctx) {
      const db = await on(ctx.estate);
      const actual = await fromConfig(ctx, field, db, () => answer(db, sql));
      const want = expected(ctx);
      const c: IntegrityCheck = {
        name: `${name} on ${db.name}`,
        ...(kind ? { kind } : {}),
        expected: want,
        actual,
        passed: actual === want,
      };
      if (!c.passed) throw new StepError(`${c.name}: expected ${want}, got ${actual}`, { checks: [c] });
      return { detail: `${actual} on ${db.name}`, checks: [c] };
    },
  };
}

/** Run a query and keep its single value in ctx.vars (a row count or checksum before the fault). */
export function record(varName: string, on: RoleRef, sql: string, field?: string): Step {
  return {
    name: `record ${varName}`,
    async run(ctx) {
      const db = await on(ctx.estate);
      const value = await fromConfig(ctx, field, db, () => answer(db, sql));
      ctx.vars[varName] = value;
      return { detail: `${varName}=${value} on ${db.name}` };
    },
  };
}

/** Run SQL on a server of the estate (seed data, marker rows, the destructive change of a fault). */
export function sql(name: string, on: RoleRef, statement: string, field?: string): Step {
  return {
    name,
    async run(ctx) {
      const db = await on(ctx.estate);
      await fromConfig(ctx, field, db, () => db.query(statement));
      return { detail: `on ${db.name}` };
    },
  };
}

/**
 * The same query on two servers must give the same answer (a restored copy against the primary). Parameters
 * come from values earlier steps recorded.
 */
export function compare(
  name: string,
  a: RoleRef,
  b: RoleRef,
  sql: string,
  params: (ctx: StepContext) => unknown[] = () => [],
  /** What the comparison establishes (row counts, a checksum), for the report. */
  kind?: CheckKind,
  /** The config field the SQL comes from, named when the query fails. */
  field?: string,
): Step {
  return {
    name: `compare: ${name}`,
    async run(ctx) {
      const [da, db] = [await a(ctx.estate), await b(ctx.estate)];
      const p = params(ctx);
      const [va, vb] = await Promise.all([
        fromConfig(ctx, field, da, () => answer(da, sql, p)),
        fromConfig(ctx, field, db, () => answer(db, sql, p)),
      ]);
      const c: IntegrityCheck = {
        name: `${name}: ${db.name} vs ${da.name}`,
        ...(kind ? { kind } : {}),
        expected: va,
        actual: vb,
        passed: va === vb,
      };
      if (!c.passed)
        throw new StepError(`${c.name}: ${da.name} has ${va}, ${db.name} has ${vb}`, { checks: [c] });
      return { detail: `${va} on both`, checks: [c] };
    },
  };
}

/**
 * Reserve an empty data directory and a port for a server a runbook block will start (the recovery target),
 * and hand them to later blocks as <PREFIX>_DIR and <PREFIX>_PORT, and its name in the infrastructure API as
 * <PREFIX>_NAME.
 */
export function spare(name: string, prefix: string): Step {
  return {
    name: `provision recovery infrastructure ${name}`,
    async run(ctx) {
      const role = await ctx.estate.spare(name);
      ctx.vars[`${prefix}_DIR`] = role.dataDir;
      ctx.vars[`${prefix}_PORT`] = String(role.port);
      ctx.vars[`${prefix}_NAME`] = role.name;
      return { detail: `${name}: empty data directory, port ${role.port}` };
    },
  };
}
