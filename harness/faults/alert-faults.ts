/**
 * The faults the alert rules need beyond a kill or a stop: a release rolled out (errors, slowness), a crash loop,
 * the database's connection pool held exhausted, the database's volume filled; and a sequence of faults, each
 * held until the alerts it must raise have fired and reached their receivers, then reverted.
 */
import { rmSync, writeFileSync, chownSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import axios from 'axios';
import pg from 'pg';
import { delay, poll } from '../core/poll.ts';
import type { AppRole, Estate, MonitoringRole } from '../estate/types.ts';
import type { Fault, FaultContext } from './fault.ts';

/** The app rolled to `version` (its behaviour per fixtures/app/releases.json); reverted by rolling back. */
function release(app: AppRole, version: string): Fault {
  let previous: string | undefined;
  return {
    name: `release ${version} rolled out`,
    target: app.name,
    async inject() {
      previous = app.version;
      await app.deploy(version);
    },
    // Rolled back whenever it was rolled out (the role's `version` is not relied on: a rollout that failed half-way
    // may have left either release running).
    async revert() {
      if (previous === undefined) return;
      const back = previous;
      previous = undefined;
      await app.deploy(back);
    },
  };
}

/**
 * A release that crashes a little after every start, restarted by its supervisor each time (as a container
 * runtime or Kubernetes would). Injected once it has restarted `restarts` times; the supervisor goes on
 * restarting it, as a real one does, until the fault is reverted by rolling back. (A supervisor that stopped
 * after n restarts would leave the app down and the restart count frozen: on a loaded machine Prometheus may
 * miss a life or two of a 2 s crash loop, and the rule would then never see its sixth restart.)
 */
function crashLoop(app: AppRole, version: string, restarts = 6): Fault {
  let previous: string | undefined;
  let count = 0;
  let supervisor: { stop: AbortController; done: Promise<void> } | undefined;
  let supervisorError: string | undefined;
  // A start that ends in the crash before the app was seen ready (a loaded machine, a slow container start) is a
  // start of the loop all the same; any other failure is not.
  const crashTolerant = async (start: () => Promise<void>) => {
    try {
      await start();
    } catch (e) {
      if (app.running()) throw e;
    }
  };
  const restartAfterCrash = async (signal: AbortSignal) => {
    await poll(() => !app.running() || undefined, {
      subject: `release ${version} to crash`,
      timeoutMs: 30_000,
      intervalMs: 50,
      signal,
    });
    await crashTolerant(() => app.restart());
    count += 1;
  };
  return {
    name: `crash-looping release ${version}`,
    target: app.name,
    get detail() {
      return `${count} restarts${supervisorError ? `; the supervisor stopped: ${supervisorError}` : ''}`;
    },
    async inject(ctx) {
      previous = app.version;
      await crashTolerant(() => app.deploy(version));
      while (count < restarts) await restartAfterCrash(ctx.signal);
      const stop = new AbortController();
      const signal = AbortSignal.any([stop.signal, ctx.signal]);
      const done = (async () => {
        while (!signal.aborted) await restartAfterCrash(signal);
      })().catch((e: unknown) => {
        if (!signal.aborted) supervisorError = e instanceof Error ? e.message : String(e);
      });
      supervisor = { stop, done };
    },
    async revert() {
      if (supervisor) {
        supervisor.stop.abort();
        await supervisor.done;
        supervisor = undefined;
      }
      if (previous === undefined) return;
      const back = previous;
      previous = undefined;
      await app.deploy(back);
    },
  };
}

/**
 * The app's connection pool exhausted: a session holds an exclusive lock on the table every write touches, so
 * the app's writes wait on the database holding their pool connections until none is left. Reverted by ending
 * that session. `table` is the system's (the config's `data.table`), quoted as the caller needs.
 */
function poolExhaustion(estate: Estate, table: string): Fault {
  let client: pg.Client | undefined;
  return {
    name: `sessions held open on ${table} (pool exhaustion)`,
    target: 'app database pool',
    async inject() {
      const db = await estate.authoritative();
      client = new pg.Client({ ...db.connection(), connectionTimeoutMillis: 5000 });
      await client.connect();
      await client.query('BEGIN');
      await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    },
    async revert() {
      const c = client;
      client = undefined;
      if (!c) return;
      await c.query('ROLLBACK').catch(() => undefined);
      await c.end().catch(() => undefined);
    },
  };
}

/**
 * The database's size-limited volume filled to `fillTo` of its size with a ballast file its account owns (a
 * runaway log or dump); reverted by removing the file.
 */
function fillVolume(estate: Estate, fillTo = 0.9): Fault {
  const vol = estate.monitoring?.dbVolume;
  const file = vol ? join(vol.path, 'ballast.fill') : '';
  return {
    name: `database volume filled to ${Math.round(fillTo * 100)} %`,
    target: vol?.path ?? 'database volume',
    async inject() {
      if (!vol)
        throw new Error(
          'this estate has no size-limited database volume (the local backend makes one as root)',
        );
      if (vol.fill) return vol.fill(fillTo);
      const fs = statfsSync(vol.path);
      const used = (fs.blocks - fs.bfree) * fs.bsize;
      const bytes = Math.max(0, Math.floor(vol.sizeBytes * fillTo) - used);
      writeFileSync(file, Buffer.alloc(bytes, 0x5a));
      if (vol.owner) chownSync(file, vol.owner.uid, vol.owner.gid);
      return Promise.resolve();
    },
    revert() {
      if (vol?.clear) return vol.clear();
      if (file) rmSync(file, { force: true });
      return Promise.resolve();
    },
  };
}

/** One stage of a sequence: a fault, and the alerts that must fire (and be notified) before it is reverted. */
export interface AlertStage {
  fault: Fault;
  alerts: string[];
}

/**
 * Faults one after another on one estate: each injected, held until every alert of its stage is firing in
 * Prometheus and has reached every receiver the routing promises for its severity, then reverted before the
 * next. t_f is the first stage's start.
 */
function sequence(
  estate: Estate,
  stages: readonly AlertStage[],
  routing: Readonly<Record<string, readonly string[]>>,
  stageTimeoutMs = 60_000,
): Fault {
  const done: string[] = [];
  const active: Fault[] = [];
  return {
    name: `${stages.length} faults in sequence`,
    target: 'estate',
    get detail() {
      return done.join('; ');
    },
    async inject(ctx: FaultContext) {
      const mon = estate.monitoring;
      if (!mon) throw new Error('a sequence of alert faults needs an estate with monitoring');
      for (const stage of stages) {
        const started = performance.now();
        active.push(stage.fault);
        for (const name of stage.alerts) ctx.emit({ kind: 'alert', name, state: 'expected' });
        await stage.fault.inject(ctx);
        await poll(() => notified(mon, stage.alerts, routing), {
          subject: `${stage.alerts.join(', ')} to fire and reach ${stage.alerts.length > 1 ? 'their' : 'its'} receivers after "${stage.fault.name}"`,
          timeoutMs: stageTimeoutMs,
          intervalMs: 100,
          signal: ctx.signal,
        });
        await stage.fault.revert();
        active.pop();
        done.push(
          `${stage.fault.name}${stage.fault.detail ? ` (${stage.fault.detail})` : ''}: ${stage.alerts.join(', ')} fired and notified after ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
        await delay(0, ctx.signal);
      }
    },
    async revert() {
      while (active.length) await (active.pop() as Fault).revert();
    },
  };
}

/** Whether each alert is firing in Prometheus and a firing notice of it reached every promised receiver. */
async function notified(
  mon: MonitoringRole,
  alerts: readonly string[],
  routing: Readonly<Record<string, readonly string[]>>,
): Promise<true> {
  const r = await axios.get<{ data: { alerts: { labels: Record<string, string>; state: string }[] } }>(
    `${mon.prometheusUrl}/api/v1/alerts`,
    { timeout: 2000 },
  );
  const states = new Map<string, string>();
  for (const a of r.data.data.alerts) {
    const name = a.labels.alertname ?? '';
    if (states.get(name) !== 'firing') states.set(name, a.state);
  }
  const got = mon.notifications();
  for (const name of alerts) {
    const state = states.get(name) ?? 'inactive';
    if (state !== 'firing') throw new Error(`${name} is ${state} in Prometheus`);
    const severity = mon.rules.find((x) => x.name === name)?.severity ?? '';
    for (const receiver of routing[severity] ?? []) {
      // The latest notice of this alert at this receiver says firing (a group already notified and still
      // firing is not notified again before its repeat interval).
      const latest = got.findLast((n) => n.receiver === receiver && n.alerts.some((a) => a.name === name));
      const status = latest?.alerts.find((a) => a.name === name)?.status;
      if (status !== 'firing')
        throw new Error(
          `${name} is firing, but receiver ${receiver} has ${status ? `only a ${status} notice` : 'no notice'} of it`,
        );
    }
  }
  return true;
}

export const AlertFault = { release, crashLoop, poolExhaustion, fillVolume, sequence };
