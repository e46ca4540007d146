/**
 * The harness's verification after a switch of traffic: a write through the clients' path lands on the server
 * that should now hold the truth. The switch itself (confirm down, fence, promote, repoint) is written in the
 * runbook document and executed as its blocks.
 */
import http from 'node:http';
import axios from 'axios';
import type { PostgresRole } from '../../estate/types.ts';
import { poll } from '../../core/poll.ts';
import { StepError } from '../../core/errors.ts';
import type { RoleRef, Step } from '../step.ts';

/**
 * Verify writes land on the new primary: one order through the application's write path (via the router), then
 * the same row read directly from `on`.
 */
export function verifyWrites(target: PostgresRole | RoleRef): Step {
  return {
    name: `verify writes land on ${typeof target === 'function' ? 'the new primary' : target.name}`,
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
