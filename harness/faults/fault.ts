import type { PostgresRole, ProcessRole } from '../estate/types.ts';
import type { StepContext } from '../runbook/step.ts';
import { executeBlock } from '../runbook/steps/runbook-block.ts';

/**
 * A fault: what it is, what it targets, how to apply it and how to undo it. Its intent is written to the
 * timeline before `inject` runs; `revert` runs on every path (success, failure, abort), and must succeed when
 * there is nothing left to revert.
 */
export interface Fault {
  readonly name: string;
  readonly target: string;
  readonly detail?: string;
  /** Apply the fault; `ctx` is the one steps get (the drill's signal, the runbook under test, recorded values). */
  inject(ctx: StepContext): Promise<void>;
  revert(): Promise<void>;
}

/** kill -SIGNAL of the role's main process (for Postgres: the postmaster), as an operator's `kill -9 <pid>`. */
function kill(role: ProcessRole, signal: NodeJS.Signals = 'SIGKILL'): Fault {
  let pid: number | undefined;
  return {
    name: signal === 'SIGKILL' ? 'kill -9' : `kill -${signal.replace(/^SIG/, '')}`,
    target: role.name,
    get detail() {
      return pid === undefined ? undefined : `pid ${pid}`;
    },
    async inject() {
      pid = role.pid;
      if (pid === undefined || !role.running()) throw new Error(`${role.name} is not running`);
      await role.signal(signal);
    },
    // A killed server is not brought back by the harness: that would be a second primary after a failover.
    // Teardown stops whatever is left of it.
    revert: () => Promise.resolve(),
  };
}

/** Graceful stop of a role; `restartOnRevert` brings it back when the drill ends without having done so. */
function stop(role: ProcessRole, opts: { restartOnRevert?: boolean } = {}): Fault {
  return {
    name: 'graceful stop',
    target: role.name,
    inject: () => role.stop(),
    revert: async () => {
      if (opts.restartOnRevert && !role.running()) await role.restart();
    },
  };
}

/**
 * A destructive statement run on a database, as a mistaken operator or a bad job would (an UPDATE without
 * WHERE, a DROP TABLE). There is no revert: repairing it is what the drill's runbook is for.
 */
function corrupt(db: PostgresRole, statement: string, label: string): Fault {
  return {
    name: label,
    target: db.name,
    detail: statement,
    async inject() {
      await db.query(statement);
    },
    revert: () => Promise.resolve(),
  };
}

/**
 * A fault that is an operator's action written in the runbook under test: its blocks, in order, run by the same
 * executor as `Step.block` (the drill's signal, recorded values, `as=postgres`, output as evidence), with `env`
 * added to their environment. A release rolled out by the runbook's own deployment commands is one: the fault is
 * the deployment itself, so t_f is the start of the rollout. A block that fails makes the injection fail,
 * naming the markdown line. No revert: rolling back is what the drill's procedure does.
 */
function block(
  ids: string | readonly string[],
  env: Record<string, string> = {},
  what: { name?: string; target?: string } = {},
): Fault {
  const list = typeof ids === 'string' ? [ids] : [...ids];
  const done: string[] = [];
  return {
    name: what.name ?? `runbook block ${list.join(', ')}`,
    target: what.target ?? 'estate',
    get detail() {
      return done.length ? done.join('; ') : undefined;
    },
    async inject(ctx) {
      for (const id of list) {
        const out = await executeBlock(ctx, id, { env: () => env });
        done.push(`runbook block ${id} (${out.source})${out.detail ? `: ${out.detail}` : ''}`);
      }
    },
    revert: () => Promise.resolve(),
  };
}

/** The fault factory scenarios use. */
export const Fault = { kill, stop, corrupt, block };
