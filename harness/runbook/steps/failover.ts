/**
 * Steps of DR scenario 1 (database failover) and the switch of traffic: confirm down, fence, promote,
 * repoint, verify writes.
 */
import http from 'node:http';
import axios from 'axios';
import type { PostgresRole, ProcessRole } from '../../estate/types.ts';
import { poll } from '../../core/poll.ts';
import { StepError } from '../../core/errors.ts';
import type { RoleRef, Step } from '../step.ts';

const SECTION = 'Disaster Recovery Plan > DR scenario 1: database failure, failover to standby';

/** Confirm the role is really down before acting on it (an operator checks before failing over). */
export function confirmDown(role: PostgresRole): Step {
  return {
    name: `confirm ${role.name} is down`,
    source: SECTION,
    verifies: true,
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
export function fence(role: ProcessRole): Step {
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
export function promote(standby: PostgresRole): Step {
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
export function repoint(route: 'db' | 'app', to: { name: string; port: number }): Step {
  return {
    name: `repoint ${route} traffic to ${to.name}`,
    source: SECTION,
    async run(ctx) {
      const state = await ctx.estate.router.client.repoint(route, `127.0.0.1:${to.port}`, { reset: true });
      return { detail: `router route '${route}' now -> ${state.target}` };
    },
  };
}

/** Repoint the clients' database endpoint at a server chosen when the step runs (e.g. a restored spare). */
export function repointTo(route: 'db', pick: RoleRef, source?: string): Step {
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
 * Verify writes land on the new primary: one order through the application's write path (via the router), then
 * the same row read directly from `on`.
 */
export function verifyWrites(target: PostgresRole | RoleRef): Step {
  return {
    name: `verify writes land on ${typeof target === 'function' ? 'the new primary' : target.name}`,
    source: SECTION,
    verifies: true,
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
