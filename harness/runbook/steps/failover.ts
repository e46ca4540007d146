/**
 * The harness's verification after a switch of traffic: a write through the clients' path lands on the server
 * that should now hold the truth. The switch itself (confirm down, fence, promote, repoint) is written in the
 * runbook document and executed as its blocks.
 */
import type { PostgresRole } from '../../estate/types.ts';
import { poll } from '../../core/poll.ts';
import { StepError } from '../../core/errors.ts';
import { canaryWrite } from '../../probes/canary-writer.ts';
import type { RoleRef, Step } from '../step.ts';

/**
 * Verify writes land on the new primary: one write of the system's canary through the clients' path (its config
 * says how: through the app or through the database endpoint), then the same write read back directly from `on`
 * with the canary's read-back query.
 */
export function verifyWrites(target: PostgresRole | RoleRef): Step {
  return {
    name: `verify writes land on ${typeof target === 'function' ? 'the new primary' : target.name}`,
    verifies: true,
    async run(ctx) {
      const system = ctx.system;
      if (!system) throw new StepError('verify writes: no system under test (its canary says how to write)');
      const on = typeof target === 'function' ? await target(ctx.estate) : target;
      // Its own run label, so that the check's row is never counted as a canary of the drill.
      const label = `drillbook-verify-${Date.now().toString(36)}`;
      const write = canaryWrite(system, ctx.estate.endpoints, label, 2000);
      await write.setup?.();
      await poll(
        async () => {
          const r = await write.send(1);
          if (r.outcome !== 'ok')
            throw new StepError(`the canary write answered ${r.status ?? r.error ?? r.outcome}`);
          return true;
        },
        {
          subject: "a write through the clients' path to be acknowledged",
          timeoutMs: ctx.timeoutMs,
          intervalMs: 100,
          signal: ctx.signal,
        },
      );
      const rows = await on.query<{ seq?: unknown }>(write.readBackSql, [label]);
      if (!rows.some((r) => Number(r.seq) === 1))
        throw new StepError(`a write was acknowledged but is not on ${on.name} (canary.readBack found none)`);
      return { detail: `a canary write acknowledged through the router and found on ${on.name}` };
    },
  };
}
