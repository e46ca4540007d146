import type { Estate, PostgresRole, ProcessRole } from '../estate/types.ts';
import { run } from '../core/exec.ts';
import { blockOf, type Runbook } from '../runbook/markdown.ts';
import { judgeBlock, runBlock, siteFor } from '../runbook/execute.ts';

/**
 * A fault: what it is, what it targets, how to apply it and how to undo it. Its intent is written to the
 * timeline before `inject` runs; `revert` runs on every path (success, failure, abort), and must succeed when
 * there is nothing left to revert.
 */
export interface Fault {
  readonly name: string;
  readonly target: string;
  readonly detail?: string;
  inject(): Promise<void>;
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
 * A bad release: the release's schema migration (the application's own `migrate upgrade <rev>`), then the
 * application replaced by that release. No revert here: rolling back is what the drill's runbook does.
 */
function release(estate: Estate, version: string, migrateTo?: string): Fault {
  return {
    name: `release ${version}`,
    target: 'app',
    detail: migrateTo ? `migrate upgrade ${migrateTo}, then deploy ${version}` : `deploy ${version}`,
    async inject() {
      if (migrateTo)
        await run('migrate', ['upgrade', migrateTo], { env: estate.shell().host.env, timeoutMs: 30_000 });
      await estate.app.deploy(version);
    },
    revert: () => Promise.resolve(),
  };
}

/**
 * A release rolled out through the runbook's own deployment commands (a block of the runbook under test, with
 * the release in its environment): the fault is the deployment itself, so t_f is the start of the rollout.
 * A block that fails makes the injection fail, naming the markdown line. No revert: rolling back is what the
 * drill's runbook does.
 */
function rollout(estate: Estate, doc: Runbook, blockId: string, env: Record<string, string>): Fault {
  const block = blockOf(doc, blockId);
  let outcome: string | undefined;
  return {
    name: `rollout ${Object.values(env).join(' ')}`.trim(),
    target: 'app',
    get detail() {
      return `runbook block ${blockId} (${doc.path}#L${block.line})${outcome ? `: ${outcome}` : ''}`;
    },
    async inject() {
      const shell = estate.shell();
      const site = siteFor(shell, block);
      const r = await runBlock(block, {
        env: { ...site.env, ...env },
        timeoutMs: 60_000,
        secrets: shell.secrets,
        site,
      });
      judgeBlock(block, doc.path, r);
      outcome = r.stdout.trim().split('\n').at(-1);
    },
    revert: () => Promise.resolve(),
  };
}

/** The fault factory scenarios use. */
export const Fault = { kill, stop, corrupt, release, rollout };
