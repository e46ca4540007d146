import http from 'node:http';
import axios from 'axios';
import type { Estate, PostgresRole, ProcessRole } from '../estate/types.ts';
import { parseDuration, type DurationString } from '../core/duration.ts';
import { delay, poll } from '../core/poll.ts';
import { StepError } from '../core/errors.ts';
import { blockOf, type Runbook } from './markdown.ts';
import type { ProbeEvent, WriteEvent } from '../measure/timeline.ts';
import {
  rollbackDecision,
  SEED_ROLLBACK_CRITERIA,
  type RollbackCriteria,
  type RollbackDecision,
} from '../measure/rollback.ts';
import { judgeBlock, runBlock, type BlockExpectation } from './execute.ts';

export interface StepContext {
  estate: Estate;
  signal: AbortSignal;
  /** Deadline for this step in ms. */
  timeoutMs: number;
  /**
   * Values steps hand on to later steps (a checksum taken before the fault, a restore target), exported to
   * runbook blocks as environment variables.
   */
  vars: Record<string, string>;
  /** Wall-clock ISO time of t_f, once the fault has been injected. */
  faultAtIso?: string;
  /** The runbook under test (the scenario's, or one given with --runbook). */
  runbook?: Runbook;
  /** What the drill's traffic has observed so far, on the drill clock (for decisions made from live traffic). */
  observe(): { probes: ProbeEvent[]; writes: WriteEvent[]; now: number; faultAt?: number };
}

/** A check of the data itself: a query, a row count, a checksum, marker rows. */
export interface IntegrityCheck {
  name: string;
  expected: string;
  actual: string;
  passed: boolean;
}

export interface StepOutcome {
  /** What the step observed, for the report: "promoted in 312 ms, now on timeline 2". */
  detail?: string;
  exitCode?: number;
  /** Captured output (redacted, trimmed), as evidence. */
  output?: string;
  checks?: IntegrityCheck[];
  /** Overrides the step's declared source (a runbook block knows its line). */
  source?: string;
}

/** One step of a runbook procedure. Steps are actions: they throw when they fail. */
export interface Step {
  readonly name: string;
  /** Where the procedure is written down (runbook section or file#line). */
  readonly source?: string;
  run(ctx: StepContext): Promise<StepOutcome | void>;
}

/** A server of the estate, picked when the step runs (a spare only exists once reserved). */
export type RoleRef = (e: Estate) => PostgresRole | Promise<PostgresRole>;

const SECTION = 'Disaster Recovery Plan > DR scenario 1: database failure, failover to standby';

/** Confirm the role is really down before acting on it (an operator checks before failing over). */
function confirmDown(role: PostgresRole): Step {
  return {
    name: `confirm ${role.name} is down`,
    source: SECTION,
    async run(ctx) {
      await poll(
        async () => {
          try {
            await role.query('SELECT 1');
            return false;
          } catch {
            return true;
          }
        },
        {
          subject: `${role.name} to stop answering`,
          timeoutMs: ctx.timeoutMs,
          intervalMs: 50,
          signal: ctx.signal,
        },
      );
      return { detail: `${role.name} refuses connections` };
    },
  };
}

/** Fence the old primary: make sure no process of it survives to accept writes (no split brain). */
function fence(role: ProcessRole): Step {
  return {
    name: `fence ${role.name}`,
    source: SECTION,
    async run() {
      await role.stop();
      return { detail: `${role.name} has no running process` };
    },
  };
}

/** Promote the hot standby to primary (pg_promote, waiting for the promotion to complete). */
function promote(standby: PostgresRole): Step {
  return {
    name: `promote ${standby.name}`,
    source: SECTION,
    async run(ctx) {
      const seconds = Math.max(1, Math.floor(ctx.timeoutMs / 1000));
      const [row] = await standby.query<{ promoted: boolean }>('SELECT pg_promote(true, $1) AS promoted', [
        seconds,
      ]);
      if (row?.promoted !== true)
        throw new StepError(`${standby.name} did not finish promotion within ${seconds} s`);
      // The WAL file name starts with the timeline: a promotion moves to a new one.
      const [wal] = await standby.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS f');
      const timeline = wal ? parseInt(wal.f.slice(0, 8), 16) : undefined;
      return { detail: `${standby.name} accepts writes${timeline ? ` on timeline ${timeline}` : ''}` };
    },
  };
}

/** Repoint the router's database endpoint at another server, cutting old sessions as a VIP move does. */
function repoint(route: 'db' | 'app', to: { name: string; port: number }): Step {
  return {
    name: `repoint ${route} traffic to ${to.name}`,
    source: SECTION,
    async run(ctx) {
      const state = await ctx.estate.router.client.repoint(route, `127.0.0.1:${to.port}`, { reset: true });
      return { detail: `router route '${route}' now -> ${state.target}` };
    },
  };
}

/**
 * Verify writes land on the new primary: one order through the application's write path (via the router), then
 * the same row read directly from `on`.
 */
function verifyWrites(target: PostgresRole | RoleRef): Step {
  return {
    name: `verify writes land on ${typeof target === 'function' ? 'the new primary' : target.name}`,
    source: SECTION,
    async run(ctx) {
      const on = typeof target === 'function' ? await target(ctx.estate) : target;
      const client = axios.create({
        proxy: false,
        timeout: 2000,
        validateStatus: () => true,
        httpAgent: new http.Agent(),
      });
      const id = await poll(
        async () => {
          const res = await client.post<{ id?: number | string }>(`${ctx.estate.endpoints.app}/orders`, {
            item: 'failover-check',
            qty: 1,
          });
          if (res.status !== 201 || res.data.id === undefined)
            throw new StepError(`POST /orders answered ${res.status}`);
          return String(res.data.id);
        },
        {
          subject: 'a write through the application to be acknowledged',
          timeoutMs: ctx.timeoutMs,
          intervalMs: 100,
          signal: ctx.signal,
        },
      );
      const rows = await on.query<{ id: string }>('SELECT id::text AS id FROM orders WHERE id = $1', [id]);
      if (rows.length !== 1) throw new StepError(`order ${id} was acknowledged but is not on ${on.name}`);
      return { detail: `order ${id} acknowledged through the router and found on ${on.name}` };
    },
  };
}

/** Start a stopped role again and wait until it is ready. */
function restart(role: ProcessRole): Step {
  return {
    name: `restart ${role.name}`,
    async run() {
      await role.restart();
      return { detail: `${role.name} running again (pid ${role.pid ?? '?'})` };
    },
  };
}

/**
 * Take a fixed time before the next step: the operator's time to decide, written down as part of the procedure.
 * It is the only time-based wait a scenario can ask for, and it is recorded like every other step.
 */
function wait(duration: DurationString, reason: string): Step {
  const ms = parseDuration(duration, 'Step.wait');
  return {
    name: `wait ${duration}: ${reason}`,
    async run(ctx) {
      await delay(ms, ctx.signal);
    },
  };
}

export interface RunbookStepOptions {
  /** Name in the report (default: the block id and its section). */
  name?: string;
  /** Extra environment for this block, computed when it runs (e.g. a restore target from the fault time). */
  env?: (ctx: StepContext) => Record<string, string>;
  expect?: BlockExpectation;
  /** Values to capture from stdout into ctx.vars for later steps: { RESTORE_REACHED: /reached: (.*)/ }. */
  capture?: Record<string, RegExp>;
}

/**
 * Execute one block of the runbook under test against the estate: bash strict mode, values through the
 * environment (the estate's shell env, then values earlier steps captured, then `env`), output kept as
 * evidence, the source recorded as path#L<line>. The drill declares the ids it uses (`runbookBlocks`), and
 * those are checked against the document before anything starts.
 */
function runbook(id: string, opts: RunbookStepOptions = {}): Step {
  return {
    name: opts.name ?? `runbook block ${id}`,
    async run(ctx) {
      if (!ctx.runbook) throw new StepError(`runbook block '${id}': this drill has no runbook document`);
      const doc = ctx.runbook;
      const block = blockOf(doc, id);
      const source = `${doc.path}#L${block.line}`;
      const shell = ctx.estate.shell();
      const env = { ...shell.env, ...ctx.vars, ...opts.env?.(ctx) };
      const r = await runBlock(block, {
        env,
        timeoutMs: ctx.timeoutMs,
        cwd: shell.cwd,
        secrets: shell.secrets,
        signal: ctx.signal,
        ...(block.runAs === 'postgres' && shell.dbUser
          ? { uid: shell.dbUser.uid, gid: shell.dbUser.gid }
          : {}),
      });
      const output = trimOutput(r.stdout, r.stderr);
      try {
        judgeBlock(block, doc.path, r, opts.expect);
      } catch (e) {
        const where = r.failedLine !== undefined ? `${doc.path}#L${r.failedLine}` : source;
        throw new StepError((e as Error).message, {
          source: where,
          ...(r.exitCode !== null ? { exitCode: r.exitCode } : {}),
          output,
        });
      }
      for (const [name, re] of Object.entries(opts.capture ?? {})) {
        const m = re.exec(r.stdout);
        if (m?.[1] !== undefined) ctx.vars[name] = m[1].trim();
      }
      return {
        exitCode: 0,
        output,
        source,
        detail: `${block.section.split(' > ').at(-1) ?? ''}: exit 0 in ${Math.round(r.durationMs)} ms`,
      };
    },
  };
}

/** The last lines of a block's output: enough to see what happened, bounded so reports stay readable. */
function trimOutput(stdout: string, stderr: string): string {
  const text = [stdout.trim(), stderr.trim() ? `[stderr]\n${stderr.trim()}` : ''].filter(Boolean).join('\n');
  const lines = text.split('\n');
  return lines.length > 40 ? ['…', ...lines.slice(-40)].join('\n') : text;
}

/**
 * Compare a query's answer on one server with what was recorded earlier (a var) or a fixed value; the result
 * is an integrity check in the record. Throws when it does not match, so the procedure stops there.
 */
/** One query's rows as a single comparable string: "1000 9f86d081…". */
async function answer(db: PostgresRole, sql: string, params: unknown[] = []): Promise<string> {
  const rows = await db.query<Record<string, unknown>>(sql, params);
  return rows.map((r) => Object.values(r).map(String).join(' ')).join('; ');
}

function check(name: string, on: RoleRef, sql: string, expected: (ctx: StepContext) => string): Step {
  return {
    name: `check: ${name}`,
    async run(ctx) {
      const db = await on(ctx.estate);
      const actual = await answer(db, sql);
      const want = expected(ctx);
      const c: IntegrityCheck = {
        name: `${name} on ${db.name}`,
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
function record(varName: string, on: RoleRef, sql: string): Step {
  return {
    name: `record ${varName}`,
    async run(ctx) {
      const db = await on(ctx.estate);
      const value = await answer(db, sql);
      ctx.vars[varName] = value;
      return { detail: `${varName}=${value} on ${db.name}` };
    },
  };
}

/** Run SQL on a server of the estate (seed data, marker rows, the destructive change of a fault). */
function sql(name: string, on: RoleRef, statement: string): Step {
  return {
    name,
    async run(ctx) {
      const db = await on(ctx.estate);
      await db.query(statement);
      return { detail: `on ${db.name}` };
    },
  };
}

/** Repoint the clients' database endpoint at a server chosen when the step runs (e.g. a restored spare). */
function repointTo(route: 'db', pick: RoleRef, source?: string): Step {
  return {
    name: `repoint ${route} traffic to the restored server`,
    ...(source ? { source } : {}),
    async run(ctx) {
      const to = await pick(ctx.estate);
      const state = await ctx.estate.router.client.repoint(route, `127.0.0.1:${to.port}`, { reset: true });
      return { detail: `router route '${route}' now -> ${state.target} (${to.name})` };
    },
  };
}

/**
 * The same query on two servers must give the same answer (a restored copy against the primary). Parameters
 * come from values earlier steps recorded.
 */
function compare(
  name: string,
  a: RoleRef,
  b: RoleRef,
  sql: string,
  params: (ctx: StepContext) => unknown[] = () => [],
): Step {
  return {
    name: `compare: ${name}`,
    async run(ctx) {
      const [da, db] = [await a(ctx.estate), await b(ctx.estate)];
      const p = params(ctx);
      const [va, vb] = await Promise.all([answer(da, sql, p), answer(db, sql, p)]);
      const c: IntegrityCheck = {
        name: `${name}: ${db.name} vs ${da.name}`,
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
 * and hand them to later blocks as <PREFIX>_DIR and <PREFIX>_PORT.
 */
function spare(name: string, prefix: string): Step {
  return {
    name: `provision recovery infrastructure ${name}`,
    async run(ctx) {
      const role = await ctx.estate.spare(name);
      ctx.vars[`${prefix}_DIR`] = role.dataDir;
      ctx.vars[`${prefix}_PORT`] = String(role.port);
      return { detail: `${name}: empty data directory, port ${role.port}` };
    },
  };
}

/**
 * Wait until live traffic since the fault meets one of the seed runbook's rollback decision criteria (health
 * check failing, error rate > 5 %, latency > 10 s), and record which one triggered, and when. A release that
 * meets none within the step's deadline is not rolled back: the step fails and says so.
 */
function decideRollback(criteria: RollbackCriteria = SEED_ROLLBACK_CRITERIA): Step {
  return {
    name: 'evaluate the rollback decision criteria',
    source: 'Rollback Procedures > Rollback decision criteria',
    async run(ctx) {
      const since = ctx.observe().faultAt ?? 0;
      let last: RollbackDecision | undefined;
      const d = await poll(
        () => {
          const { probes, writes } = ctx.observe();
          last = rollbackDecision(probes, writes, since, criteria);
          return last.triggered ? last : undefined;
        },
        {
          subject: 'a rollback criterion to trigger',
          timeoutMs: ctx.timeoutMs,
          intervalMs: 50,
          signal: ctx.signal,
        },
      ).catch(() => {
        throw new StepError(`no rollback criterion met: ${last?.reason ?? 'no traffic observed'}`);
      });
      const at = ctx.observe().now - since;
      const c: IntegrityCheck = {
        name: 'rollback decision',
        expected: 'a seed criterion triggers (health check, error rate > 5 %, latency > 10 s)',
        actual: `${d.triggered ?? '?'}: ${d.reason}, ${Math.round(at)} ms after the rollout began`,
        passed: true,
      };
      return { detail: c.actual, checks: [c] };
    },
  };
}

/** Deploy a release of the application (the local equivalent of `kubectl set image` / a compose tag change). */
function deploy(version: string): Step {
  return {
    name: `deploy app ${version}`,
    async run(ctx) {
      const before = ctx.estate.app.version;
      await ctx.estate.app.deploy(version);
      return { detail: `app ${before} -> ${version}, ready` };
    },
  };
}

/** The step factory scenarios use. */
export const Step = {
  decideRollback,
  deploy,
  compare,
  spare,
  confirmDown,
  fence,
  promote,
  repoint,
  repointTo,
  verifyWrites,
  restart,
  wait,
  runbook,
  check,
  record,
  sql,
};
