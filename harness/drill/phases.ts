/**
 * The phases of a drill, each a small function over the drill-run state. The order they run in is written
 * once, in runner.ts.
 */
import { withAbortScope } from '../core/abort-scope.ts';
import { isoAt } from '../core/clock.ts';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { AbortedError, describe, StepError, TimeoutError } from '../core/errors.ts';
import { poll } from '../core/poll.ts';
import type { Estate } from '../estate/types.ts';
import type { MonitoringSettings } from '../estate/monitoring/config.ts';
import type { FaultContext } from '../faults/fault.ts';
import { measureReplication } from '../measure/replication.ts';
import { measureShipping } from '../measure/shipping.ts';
import { steadyHolds } from '../measure/steady.ts';
import { ofKind } from '../measure/timeline.ts';
import type { ObserverContext, ObserverMeasurements } from '../probes/observer.ts';
import type { Step, StepContext } from '../runbook/step.ts';
import type { DrillRun } from './drill-run.ts';
import { runWithDeadline } from './run-step.ts';
import {
  alertsCriterion,
  checklistCriterion,
  clientImpactCriterion,
  evaluate,
  shippingCriterion,
} from './verdict.ts';
import { measureClientImpact } from '../measure/impact.ts';
import { alertWatcher } from '../probes/alert-watcher.ts';

const ms = (d: string) => parseDuration(d);

/** Thrown to skip to teardown when a preparation step failed (recorded as a failed criterion, not an error). */
export class DrillAbandoned extends Error {
  constructor() {
    super('preparation failed');
  }
}

function estateOf(run: DrillRun): Estate {
  if (!run.estate) throw new Error(`no estate in phase ${run.phase}`);
  return run.estate;
}

/**
 * What the clients' probe asks and what a good answer is: the drill's own path (a probe of the data), else the
 * system's health check as its config describes it.
 */
export function probeOf(run: Pick<DrillRun, 'def' | 'opts'>): {
  probePath: string;
  probeBodyIncludes?: string;
  probeStatus?: number;
} {
  const t = run.def.traffic;
  const health = run.opts.system.health;
  const own = run.def.probe?.(run.opts.system);
  if (own)
    return {
      probePath: own.path,
      probeStatus: own.status ?? 200,
      ...(own.bodyIncludes ? { probeBodyIncludes: own.bodyIncludes } : {}),
    };
  if (t.probePath !== undefined)
    return {
      probePath: t.probePath,
      ...(t.probeBodyIncludes ? { probeBodyIncludes: t.probeBodyIncludes } : {}),
    };
  const bodyIncludes = t.probeBodyIncludes ?? health.bodyIncludes;
  return {
    probePath: health.path,
    probeStatus: health.status,
    ...(bodyIncludes ? { probeBodyIncludes: bodyIncludes } : {}),
  };
}

/** Nothing to start yet: the objectives, settings and runbook identity are resolved with the record. */
export function plan(): void {}

/**
 * Stand the estate up; every resource registers its undo on the teardown stack as it is acquired. An interrupt
 * ends it at once: every wait and command inside runs in the drill's abort scope, and what was started by then
 * is torn down like any other part of a failed provisioning.
 */
export async function provision(run: DrillRun): Promise<void> {
  const estate = await withAbortScope(run.signal, () =>
    run.backend.provision(run.opts.backend, run.def.estate, {
      runId: run.opts.runId,
      drillId: run.def.id,
      teardown: run.teardown,
      system: run.opts.system,
      startTimeoutMs: ms(run.def.timeouts.provision),
      note: run.note,
      ...(run.opts.monitoring
        ? { monitoring: drillMonitoring(run.opts.monitoring, run.def.alerts?.timeScale) }
        : {}),
      ...(run.opts.backendOptions ? { options: run.opts.backendOptions } : {}),
    }),
  );
  run.estate = estate;
  run.resources = estate.resources();
  run.record.estate = await estate.identity();
  run.dbRole = await dbRole(estate);
}

/** The runbook's preparation (backups, marker rows). False when a step failed. */
export function prepare(run: DrillRun): Promise<boolean> {
  return runSteps(run, 'prepare', run.def.prepare?.(estateOf(run), run.opts.system) ?? []);
}

/**
 * Start every declared observer, then hold until the steady-state hypothesis has held for `steadyFor`: since
 * the last bad observation of any observer, each has seen enough good ones. Observers keep running through the
 * fault and the recovery.
 */
export async function steady(run: DrillRun): Promise<void> {
  const estate = estateOf(run);
  const t = run.def.traffic;
  const ctx: ObserverContext = {
    estate,
    clock: run.clock,
    runId: run.opts.runId,
    system: run.opts.system,
    signal: run.signal,
    traffic: {
      ...probeOf(run),
      probeIntervalMs: ms(t.probeInterval),
      probeTimeoutMs: ms(t.probeTimeout),
      writeIntervalMs: 1000 / t.writesPerSecond,
      writeTimeoutMs: ms(t.writeTimeout),
      consecutive: t.consecutive,
      settleMs: ms(t.settle),
    },
    emit: (e) => run.timeline.push(e),
    timeline: () => run.timeline,
  };
  run.observing = { cpu: process.cpuUsage(), t: run.clock.now() };
  // An estate with monitoring is watched for the drill's expected alerts (and every other alert).
  const observers = estate.monitoring
    ? [
        ...run.declaredObservers,
        alertWatcher({
          expect: run.def.alerts?.expect ?? [],
          ...(run.def.alerts?.mustNotPage ? { mustNotPage: run.def.alerts.mustNotPage } : {}),
          ...(run.def.alerts?.routing ? { routing: run.def.alerts.routing } : {}),
        }),
      ]
    : run.declaredObservers;
  for (const o of observers) run.observers.push(await o.start(ctx));
  const since = run.clock.now();
  const watchingCpu = process.cpuUsage();
  const evidence = () => run.observers.flatMap((o) => (o.steady ? [o.steady(since)] : []));
  const what = evidence()
    .map((e) => e.subject)
    .join(', ');
  await poll(() => steadyHolds(evidence(), since, run.clock.now(), ms(t.steadyFor)), {
    subject: `the steady state to hold for ${t.steadyFor} (${what})`,
    timeoutMs: ms(run.def.timeouts.steady),
    intervalMs: 50,
    signal: run.signal,
  });
  // While the steady state is proven nothing but the observers runs in the harness (no step, no fault): their
  // CPU over that window is what watching the estate costs, whatever the procedure later spends.
  const watching = process.cpuUsage(watchingCpu);
  run.watchingCpu = { cpuMs: (watching.user + watching.system) / 1000, wallMs: run.clock.now() - since };
}

/**
 * Record the intent, register the revert, then inject; t_f is the instant just before the fault action runs, or
 * the instant the fault marks (`FaultContext.markInstant`).
 * The revert is registered before the injection, so a fault that fails half-way is still reverted.
 */
export async function injectFault(run: DrillRun): Promise<void> {
  const fault = run.def.fault?.(estateOf(run), run.opts.system);
  if (!fault) return;
  const ev = { kind: 'fault' as const, name: fault.name, target: fault.target };
  run.timeline.push({ ...ev, state: 'intent', t: run.clock.now() });
  run.teardown.push(`revert fault ${fault.name} on ${fault.target}`, async () => {
    try {
      await fault.revert();
      run.timeline.push({ ...ev, state: 'reverted', t: run.clock.now() });
    } catch (e) {
      run.timeline.push({ ...ev, state: 'revert-failed', t: run.clock.now(), detail: describe(e) });
      throw e;
    }
  });
  let tf = run.clock.now();
  run.record.faultAt = tf;
  // A fault that is an operator action (a rollout through a runbook block) runs like a step: same deadline.
  const timeoutMs = ms(run.def.timeouts.step);
  const ctx = (signal: AbortSignal): FaultContext => ({
    ...stepContext(run, signal, timeoutMs),
    // A composed fault strikes later than it starts (a lagging link, then the primary's death): t_f moves there.
    markInstant() {
      tf = run.clock.now();
      run.record.faultAt = tf;
    },
    emit: (fact, opts) => run.timeline.push({ ...fact, t: run.clock.now() - (opts?.agoMs ?? 0) }),
  });
  await runWithDeadline((signal) => fault.inject(ctx(signal)), {
    timeoutMs,
    drillSignal: run.signal,
    subject: `fault "${fault.name}" to be injected`,
    graceMs: run.abortGraceMs,
  });
  run.timeline.push({ ...ev, state: 'injected', t: tf, ...(fault.detail ? { detail: fault.detail } : {}) });
}

/** The documented recovery procedure, in order; the first failed step ends it. */
export async function procedure(run: DrillRun): Promise<void> {
  const start = run.clock.now();
  run.procedureOk = await runSteps(run, 'procedure', run.def.procedure(estateOf(run), run.opts.system));
  run.procedureMs = run.clock.now() - start;
}

/**
 * Wait until every observer that can tell says the service has recovered (a sustained run of good probes),
 * or the recover timeout ends; what is still pending then is measured as not recovered.
 */
export async function recovery(run: DrillRun): Promise<void> {
  const faultAt = run.record.faultAt;
  if (faultAt === undefined) return;
  const results = await poll(
    () => {
      const rs = run.observers.flatMap((o) => (o.recovery ? [o.recovery(faultAt)] : []));
      return rs.every((r) => r.status === 'recovered') ? rs : undefined;
    },
    {
      subject: 'sustained recovery of the probes',
      timeoutMs: ms(run.def.timeouts.recover),
      intervalMs: 50,
      signal: run.signal,
    },
  ).catch((err: unknown) => {
    if (err instanceof TimeoutError) return undefined; // measured as not recovered
    throw err;
  });
  const first = results?.[0];
  if (first?.status === 'recovered') run.note(`recovered ${formatDuration(first.rtoMs)} after the fault`);
}

/**
 * Stop the observers (everything in flight gets its outcome), then let each read back what it wrote from the
 * authoritative store. After a failed procedure the store may be beyond reading: that is the procedure's
 * failure, noted, not the harness's.
 */
export async function after(run: DrillRun): Promise<void> {
  await stopObservers(run);
  for (const o of run.observers) {
    if (!o.readBack) continue;
    try {
      await o.readBack({ signal: run.signal, timeoutMs: ms(run.def.timeouts.step), note: run.note });
    } catch (err) {
      if (run.procedureOk) throw err;
      run.note(`${o.name}: read-back impossible after the failed procedure: ${describe(err)}`);
    }
  }
}

/** Every observer's measurement (pure functions of measure/), then the verdict against the objectives. */
export function measure(run: DrillRun): void {
  const faultAt = run.record.faultAt;
  const input = { ...(faultAt !== undefined ? { faultAt } : {}), now: run.clock.now() };
  const m = run.observers.reduce<ObserverMeasurements>((acc, o) => ({ ...acc, ...o.measure?.(input) }), {});
  const mode = run.record.settings.replication;
  const replication =
    mode === undefined
      ? undefined
      : measureReplication(run.timeline, {
          mode,
          ...input,
          ...(m.rpo ? { rpoMs: m.rpo.rpoMs, lostAckedWrites: m.rpo.lostAckedWrites } : {}),
        });
  // From the instant the steady state held: failures before it are the estate settling, not the procedure.
  const steadyAt = ofKind(run.timeline, 'phase').find((p) => p.phase === 'steady')?.end ?? 0;
  const clientImpact = run.def.zeroClientImpact ? measureClientImpact(run.timeline, steadyAt) : undefined;
  const sites = run.record.settings.sites;
  const shipping =
    sites && faultAt !== undefined
      ? measureShipping(run.timeline, {
          feed: sites.feed,
          archiveTimeoutMs: sites.archiveTimeoutMs,
          redisSnapshotMs: sites.redisSnapshotMs,
          faultAt,
          ...(m.rpo ? { lost: { seqRanges: m.rpo.lostSeqRanges, rpoMs: m.rpo.rpoMs } } : {}),
          ...(m.cache ? { cache: m.cache } : {}),
        })
      : undefined;
  run.record.measurements = {
    ...m,
    runbookMs: run.procedureMs,
    ...(replication ? { replication } : {}),
    ...(clientImpact ? { clientImpact } : {}),
    ...(shipping ? { shipping } : {}),
  };
  run.record.criteria = [
    ...run.stepFailures,
    ...evaluate(run.def.id, run.record.objectives, m.rto, m.rpo, run.record.checks, run.procedureOk, m.cache),
    ...(run.record.checklist ? [checklistCriterion(JSON.stringify(run.def.id), run.record.checklist)] : []),
    ...(clientImpact ? [clientImpactCriterion(JSON.stringify(run.def.id), clientImpact)] : []),
    ...(shipping && m.rpo ? [shippingCriterion(run.def.id, shipping)] : []),
    ...(m.alerts ? [alertsCriterion(run.def.id, m.alerts)] : []),
  ];
}

/** Stop every observer; idempotent, and safe on every path. */
export async function stopObservers(run: DrillRun): Promise<void> {
  await Promise.all(run.observers.map((o) => o.stop().catch(() => undefined)));
  const since = run.observing;
  if (since && !run.record.harnessCpu) {
    const cpu = process.cpuUsage(since.cpu);
    run.record.harnessCpu = {
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: run.clock.now() - since.t,
      drillsAtOnce: run.opts.concurrency ?? 1,
      ...(run.watchingCpu ? { watching: run.watchingCpu } : {}),
    };
  }
}

/**
 * Undo everything, newest first, and check that nothing is left; a leak or a failed undo fails the drill.
 * With --keep the estate stays up, marked as kept. Returns whether teardown was clean.
 */
export async function teardown(run: DrillRun): Promise<boolean> {
  const record = run.record;
  if (run.opts.keep && run.estate) {
    run.backend.markKept(run.estate);
    record.teardown = { kept: true, results: [], leaks: [] };
    return true;
  }
  const results = await run.teardown.run();
  const leaks = await run.backend
    .findLeaks(
      run.opts.backend,
      run.opts.runId,
      run.resources ?? { pids: [], ports: [], dirs: [] },
      run.def.id,
    )
    .catch((e: unknown) => [`leak check failed: ${describe(e)}`]);
  record.teardown = { kept: false, results, leaks };
  const failed = results.filter((r) => !r.ok);
  const clean = leaks.length + failed.length === 0;
  record.criteria.push({
    name: 'cleanup',
    objective: 'nothing left behind',
    measured: clean
      ? `${results.length} resources torn down, none left`
      : `${leaks.length} leaks, ${failed.length} failed undos`,
    passed: clean,
    message: clean
      ? 'teardown complete, leak check clean'
      : `cleanup left resources behind for "${run.def.id}": ${[...leaks, ...failed.map((f) => `${f.name}: ${f.error ?? ''}`)].join('; ')}`,
  });
  return clean;
}

/**
 * Run steps in order, each under its own deadline (its signal fires then, and it is recorded as failed with a
 * TimeoutError). The first failure stops the list and becomes a failed `procedure` criterion; an aborted drill
 * records the step and stops the drill. After each step, a change of the role behind the clients' database
 * endpoint is a switch event.
 */
async function runSteps(run: DrillRun, which: 'prepare' | 'procedure', steps: Step[]): Promise<boolean> {
  try {
    for (const step of steps) {
      if (run.signal.aborted) throw new AbortedError(`before step "${step.name}"`);
      const ok = await runStep(run, which, step);
      // Off the procedure's path (the next step does not wait for it: clients wait for every millisecond of
      // it), one check after another so that each switch's `from` is the previous one's `to`.
      const endedAt = run.clock.now();
      run.switchCheck = run.switchCheck.then(() => observeSwitch(run, endedAt));
      if (!ok) return false;
    }
    return true;
  } finally {
    await run.switchCheck;
  }
}

async function runStep(run: DrillRun, which: 'prepare' | 'procedure', step: Step): Promise<boolean> {
  const start = run.clock.now();
  const timeoutMs = ms(run.def.timeouts.step);
  // What the step left as evidence, whether it succeeded (its outcome) or failed (its StepError).
  const event = (
    ev: { source?: string; exitCode?: number; output?: string; detail?: string },
    error?: string,
  ) => {
    const source = ev.source ?? step.source;
    run.timeline.push({
      kind: 'step',
      phase: which,
      name: step.name,
      t: start,
      end: run.clock.now(),
      ok: error === undefined,
      via: step.via ?? 'harness',
      ...(step.verifies ? { verifies: true } : {}),
      ...(source ? { source } : {}),
      ...(ev.detail ? { detail: ev.detail } : {}),
      ...(ev.exitCode !== undefined ? { exitCode: ev.exitCode } : {}),
      ...(ev.output ? { output: ev.output } : {}),
      ...(error !== undefined ? { error } : {}),
    });
  };
  try {
    const out =
      (await runWithDeadline((signal) => step.run(stepContext(run, signal, timeoutMs)), {
        timeoutMs,
        drillSignal: run.signal,
        subject: `step "${step.name}" to finish`,
        graceMs: run.abortGraceMs,
      })) ?? {};
    event(out);
    run.record.checks.push(...(out.checks ?? []));
    if (out.checklist) run.record.checklist = [...(run.record.checklist ?? []), ...out.checklist];
    return true;
  } catch (err) {
    const failed =
      err instanceof StepError
        ? err
        : err instanceof TimeoutError && err.lastError instanceof StepError
          ? err.lastError
          : undefined;
    // The block's own exit code is in the evidence (StepError.exitCode is the CLI's).
    event(failed?.evidence ?? {}, describe(err));
    if (err instanceof AbortedError) throw err;
    run.record.checks.push(...(failed?.checks ?? []));
    run.stepFailures.push({
      name: 'procedure',
      objective: `every ${which === 'prepare' ? 'preparation' : 'procedure'} step succeeds`,
      measured: `step "${step.name}" failed`,
      passed: false,
      message: `${which} step "${step.name}" failed: ${describe(err)}`,
    });
    return false;
  }
}

function stepContext(run: DrillRun, signal: AbortSignal, timeoutMs: number): StepContext {
  const faultAt = run.record.faultAt;
  return {
    estate: estateOf(run),
    signal,
    timeoutMs,
    vars: run.vars,
    observe: () => ({
      probes: ofKind(run.timeline, 'probe'),
      writes: ofKind(run.timeline, 'write'),
      now: run.clock.now(),
      ...(faultAt !== undefined ? { faultAt } : {}),
    }),
    system: run.opts.system,
    ...(run.runbook ? { runbook: run.runbook } : {}),
    ...(faultAt !== undefined ? { faultAtIso: isoAt(run.clock, faultAt) } : {}),
    defer: (name, undo) => run.teardown.push(name, undo),
  };
}

/** The role the clients' database endpoint leads to now (the router's `db` route), if it leads to one. */
async function dbRole(estate: Estate): Promise<string | undefined> {
  return estate
    .authoritative()
    .then((db) => db.name)
    .catch(() => undefined);
}

/** A typed switch event when the clients' database endpoint now leads to another role. */
async function observeSwitch(run: DrillRun, stepEndedAt: number): Promise<void> {
  const to = await dbRole(estateOf(run));
  if (to === undefined || to === run.dbRole) return;
  run.timeline.push({
    kind: 'switch',
    // The step that just ended made the switch: it happened by the end of that step.
    t: stepEndedAt,
    endpoint: 'db',
    ...(run.dbRole !== undefined ? { from: run.dbRole } : {}),
    to,
  });
  run.dbRole = to;
}

/** The run's monitoring settings as this drill runs them: its own time scale unless the flag named one. */
export function drillMonitoring(
  settings: MonitoringSettings,
  timeScale: number | undefined,
): MonitoringSettings {
  return timeScale !== undefined && !settings.scaleGiven ? { ...settings, scale: timeScale } : settings;
}
