import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { delay } from '../core/poll.ts';
import { parseDuration, type DurationString } from '../core/duration.ts';
import { openReplicationMonitor, REPLICATION_ROUTE } from '../estate/postgres-config.ts';
import type { Estate, PostgresRole, ProcessRole } from '../estate/types.ts';
import type { AlertEvent, ReplicationEvent } from '../measure/timeline.ts';
import type { StepContext } from '../runbook/step.ts';
import { executeBlock } from '../runbook/steps/runbook-block.ts';

/** A replication event as a fault reports it; the runner stamps it with the drill clock. */
export type ReplicationFact = ReplicationEvent extends infer E
  ? E extends unknown
    ? Omit<E, 't'>
    : never
  : never;

/** An alert a fault announces it must raise from now on (`expected`), as a fault reports it. */
export type AlertExpectedFact = Omit<AlertEvent, 't'> & { state: 'expected' };

/** What a fault gets when it is injected: the steps' context, and two ways to tell the runner what happened. */
export interface FaultContext extends StepContext {
  /**
   * Mark now as t_f, the instant the failure strikes, when that is not the start of `inject`: a fault that first
   * degrades something for a while (the replication link) and then kills the primary marks the kill. Unmarked,
   * t_f is the instant just before `inject` ran; marked twice, the last mark counts.
   */
  markInstant(): void;
  /**
   * A typed fact the fault observed or caused, put on the timeline at the drill clock's now, or `agoMs` before
   * (a fact the fault could only date after the event, such as the middle of a round trip).
   */
  emit(fact: ReplicationFact | AlertExpectedFact, opts?: { agoMs?: number }): void;
}

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
  inject(ctx: FaultContext): Promise<void>;
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

/**
 * The replication link between the primary and the standby stalls for `lag` while the primary keeps serving:
 * the standby's WAL stream (through the router's replication route) stops moving both ways, so WAL piles up
 * on the primary and the standby's confirmations stop arriving. In production: a degraded network between the
 * sites, a WAL sender stalled, a standby too busy replaying to read. With asynchronous replication the primary
 * keeps acknowledging commits the standby does not have; with synchronous replication commits wait.
 *
 * The `link-stalled` event is the middle of the router's round trip that applied the stall (it took effect in
 * between); the lag runs from there to the failure. At the end of the lag it samples `pg_stat_replication` on
 * the primary (a session opened beforehand, so the sample costs one round trip) and puts it on the timeline,
 * then returns: composed with `Fault.after`, the next fault (the primary's death) strikes at once. The link stays stalled until the drill's teardown reverts it, as
 * a degraded network stays degraded while the failover runs; WAL held on it never reaches the standby first.
 */
function lagReplication(estate: Estate, lag: DurationString): Fault {
  const lagMs = parseDuration(lag, 'replication lag');
  const standby = estate.postgres.standby?.name ?? 'the standby';
  const route = () => estate.router.client;
  let stalled = false;
  return {
    name: `replication link stalled for ${lag}`,
    target: `${estate.postgres.primary.name} → ${standby}`,
    async inject(ctx) {
      if (!estate.postgres.standby) throw new Error('lagReplication needs an estate with a standby');
      const monitor = await openReplicationMonitor(estate.postgres.primary);
      try {
        // Samples first warm the session and time a round trip (the slowest of three), which the wait below
        // leaves room for: the lag ends, and the next fault strikes, `lag` after the stall, the sample just before.
        let roundTrip = 0;
        for (let i = 0; i < 3; i++) {
          const warm = performance.now();
          await monitor.sample();
          roundTrip = Math.max(roundTrip, performance.now() - warm);
        }
        stalled = true;
        const asked = performance.now();
        await route().setMode(REPLICATION_ROUTE, 'stall');
        // The stall took effect somewhere in the router's round trip: its middle is the best estimate, neither
        // early by the request's leg nor late by the answer's.
        const sinceStall = (performance.now() - asked) / 2;
        const lagEnds = performance.now() - sinceStall + lagMs;
        ctx.emit({ kind: 'replication', what: 'link-stalled' }, { agoMs: sinceStall });
        await delay(Math.max(0, lagMs - sinceStall - roundTrip), ctx.signal);
        ctx.emit({ kind: 'replication', what: 'sample', sample: await monitor.sample() });
        // A sample quicker than the slowest warm-up would end the lag early: the failure never strikes before it.
        await delay(Math.max(0, lagEnds - performance.now()), ctx.signal);
      } finally {
        await monitor.close();
      }
    },
    async revert() {
      if (!stalled) return;
      await route().setMode(REPLICATION_ROUTE, 'forward');
      stalled = false;
    },
  };
}

/**
 * `fault` injected once `lead` has been (a condition first, then the failure): t_f is the instant `fault`
 * strikes, marked just before it runs, so the RTO and the RPO are measured from the failure, not from the
 * condition that preceded it. Reverted in reverse order.
 */
function after(lead: Fault, fault: Fault): Fault {
  return {
    name: `${fault.name} after ${lead.name}`,
    target: fault.target,
    get detail() {
      const parts = [lead.detail, fault.detail].filter((d): d is string => d !== undefined);
      return parts.length ? parts.join('; ') : undefined;
    },
    async inject(ctx) {
      await lead.inject(ctx);
      ctx.markInstant();
      await fault.inject(ctx);
    },
    async revert() {
      try {
        await fault.revert();
      } finally {
        await lead.revert();
      }
    },
  };
}

/**
 * The whole primary site dies in one instant: every role of it (the database, Redis, the app, the snapshot
 * shipping) is SIGKILLed in the same tick (docker: every container of it killed), as a power or network loss
 * of a data centre. No revert: the site is gone; teardown removes what is left of it.
 */
function killSite(estate: Estate): Fault {
  const site = estate.sites?.primary;
  return {
    name: 'site loss (kill -9 of every role)',
    target: site?.name ?? 'the primary site',
    detail: site ? site.roles.map((r) => r.name).join(', ') : undefined,
    async inject() {
      if (!site) throw new Error('killSite needs a two-site estate (estate.sites)');
      const down = site.roles.filter((r) => !r.running()).map((r) => r.name);
      if (down.length) throw new Error(`${site.name} is not whole before the fault: ${down.join(', ')} down`);
      await site.kill();
    },
    revert: () => Promise.resolve(),
  };
}

/**
 * A condition on a two-site estate's WAL shipping: wait until the next WAL segment arrives at the DR site,
 * then until it is `age` old (dated by the file). Composed with `Fault.after`, the site then dies a known
 * share of the shipping interval after the last shipment, so the loss window a drill measures is set by the
 * shipping, not by chance. Nothing to revert.
 */
function shipmentAged(estate: Estate, age: DurationString): Fault {
  const ageMs = parseDuration(age, 'shipment age');
  let last: string | undefined;
  return {
    name: `the next WAL segment shipped, then ${age}`,
    target: estate.sites?.dr.name ?? 'the DR site',
    get detail() {
      return last === undefined ? undefined : `segment ${last}`;
    },
    async inject(ctx) {
      const dr = estate.sites?.dr;
      if (!dr) throw new Error('shipmentAged needs a two-site estate (estate.sites)');
      const segments = () => readdirSync(dr.walDir).filter((n) => /^[0-9A-F]{24}$/.test(n));
      const before = new Set(segments());
      for (;;) {
        last = segments().find((n) => !before.has(n));
        if (last) break;
        await delay(10, ctx.signal);
      }
      const mtimeMs = statSync(join(dr.walDir, last)).mtimeMs;
      await delay(Math.max(0, ageMs - (Date.now() - mtimeMs)), ctx.signal);
    },
    revert: () => Promise.resolve(),
  };
}

/**
 * The whole primary site cut off the network in one instant, alive: every path to it from clients, the router
 * (global DNS / the load balancer) and the DR site cut, its shipping to the DR site with them, while its
 * processes keep running (local: the kernel drops every packet to the site's ports; docker: its containers
 * disconnected from the site's network). From outside it looks lost; if it comes back unfenced it is a second
 * primary. Reverted (the network whole again) at teardown if the procedure did not heal it.
 */
function partitionSite(estate: Estate): Fault {
  const site = estate.sites?.primary;
  return {
    name: 'site partition (network cut, processes alive)',
    target: site?.name ?? 'the primary site',
    detail: site ? site.roles.map((r) => r.name).join(', ') : undefined,
    async inject() {
      if (!site?.partition)
        throw new Error('partitionSite needs a two-site estate whose backend can cut a site off');
      const down = site.roles.filter((r) => !r.running()).map((r) => r.name);
      if (down.length) throw new Error(`${site.name} is not whole before the fault: ${down.join(', ')} down`);
      await site.partition();
    },
    revert: async () => {
      await site?.heal?.();
    },
  };
}

/** The fault factory scenarios use. */
export const Fault = {
  kill,
  stop,
  corrupt,
  block,
  lagReplication,
  after,
  killSite,
  shipmentAged,
  partitionSite,
};
