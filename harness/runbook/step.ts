import http from 'node:http';
import axios from 'axios';
import type { Estate, PostgresRole, ProcessRole } from '../estate/types.ts';
import { parseDuration, type DurationString } from '../core/duration.ts';
import { delay, poll } from '../core/poll.ts';
import { StepError } from '../core/errors.ts';

export interface StepContext {
  estate: Estate;
  signal: AbortSignal;
  /** Deadline for this step in ms. */
  timeoutMs: number;
}

export interface StepOutcome {
  /** What the step observed, for the report: "promoted in 312 ms, now on timeline 2". */
  detail?: string;
  exitCode?: number;
}

/** One step of a runbook procedure. Steps are actions: they throw when they fail. */
export interface Step {
  readonly name: string;
  /** Where the procedure is written down (runbook section or file#line). */
  readonly source?: string;
  run(ctx: StepContext): Promise<StepOutcome | void>;
}

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
function verifyWrites(on: PostgresRole): Step {
  return {
    name: `verify writes land on ${on.name}`,
    source: SECTION,
    async run(ctx) {
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

/** The step factory scenarios use. */
export const Step = { confirmDown, fence, promote, repoint, verifyWrites, restart, wait };
