import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { isoAt, monotonicClock, type Clock } from '../core/clock.ts';
import { objectivesFor } from '../config/system.ts';
import { parseDuration } from '../core/duration.ts';
import { AbortedError, describe, DrillError } from '../core/errors.ts';
import { throwIfAborted } from '../core/poll.ts';
import { TeardownStack } from '../core/teardown.ts';
import { findEstateLeaks, provisionEstate } from '../estate/provision.ts';
import { writeMarker, readMarker } from '../estate/host/run-dir.ts';
import { PROJECT_ROOT } from '../estate/host/project-root.ts';
import type { PhaseName, TimelineEvent } from '../measure/timeline.ts';
import type { Observer } from '../probes/observer.ts';
import type { Runbook } from '../runbook/markdown.ts';
import type { DrillDefinition } from './define.ts';
import type { BackendSeam, DrillRun, Progress, RunbookIdentity, RunOptions } from './drill-run.ts';
import {
  after,
  DrillAbandoned,
  injectFault,
  measure,
  plan,
  prepare,
  probeOf,
  procedure,
  provision,
  recovery,
  steady,
  stopObservers,
  teardown,
} from './phases.ts';
import { runStages } from './stages.ts';
import { SCHEMA_VERSION, type DrillRecord } from '../record/record.ts';

export type { BackendSeam, Progress, RunOptions } from './drill-run.ts';

/** The one place the runner reaches the backends. */
export const backends: BackendSeam = {
  provision: (backend, topology, ctx) => provisionEstate(backend, topology, ctx),
  findLeaks: (backend, runId, resources, drillId) => findEstateLeaks(backend, runId, resources, drillId),
  markKept(estate) {
    const marker = readMarker(estate.runDir);
    if (marker) writeMarker(estate.runDir, { ...marker, kept: true });
  },
};

/** What a unit test replaces: the clock, the backend, the observers. The CLI uses the defaults. */
export interface RunnerDeps {
  clock?: Clock;
  backend?: BackendSeam;
  /** The observers to start at steady state (default: the drill's declared ones). */
  observers?: (def: DrillDefinition) => Observer[];
  /** How long a step that ignores its aborted signal is still waited for (default 1 s). */
  abortGraceMs?: number;
}

/**
 * Run one drill, in the one order drillbook knows: plan, provision, prepare, steady, fault, procedure,
 * recovery, after, measure, teardown. Always returns a record, also when the drill fails or is aborted; never
 * leaves the estate behind unless asked to.
 */
export async function runDrill(
  def: DrillDefinition,
  opts: RunOptions,
  deps: RunnerDeps = {},
): Promise<DrillRecord> {
  const run = newRun(
    withProbeInterval(def, opts.probeIntervalMs ?? opts.system.health.intervalMs),
    opts,
    deps,
  );
  try {
    await phase(run, 'plan', plan);
    await phase(run, 'provision', provision);
    if (def.stages)
      await runStages(run, def.stages, phase, (stage, index) => stageRun(run, stage, index, deps));
    else await single(run);
  } catch (e) {
    stopped(run, e);
  } finally {
    await stopObservers(run);
    await teardownPhase(run);
    const runbook = await run.runbookIdentity;
    if (runbook) run.record.runbook = runbook;
    run.record.finishedAt = isoAt(run.clock, run.clock.now());
    run.record.durationMs = run.clock.now();
  }
  return run.record;
}

/** The phases after provisioning of a drill that is one scenario. */
async function single(run: DrillRun): Promise<void> {
  const def = run.def;
  if (def.prepare && !(await phase(run, 'prepare', prepare))) throw new DrillAbandoned();
  await phase(run, 'steady', steady);
  if (def.fault) await phase(run, 'fault', injectFault);
  await phase(run, 'procedure', procedure);
  if (run.procedureOk && run.record.faultAt !== undefined) await phase(run, 'recovery', recovery);
  await phase(run, 'after', after);
  await phase(run, 'measure', measure);
}

/**
 * The run of one stage of an exercise: its own record (objectives from the plan under the stage's id), events
 * and observers, on the exercise's estate, clock, abort signal, teardown stack and runbook values. Its canaries
 * carry a run id of their own, so each stage reads back exactly its own writes.
 */
function stageRun(run: DrillRun, stage: DrillDefinition, index: number, deps: RunnerDeps): DrillRun {
  const opts = { ...run.opts, runId: `${run.opts.runId}-${index}` };
  const def = withProbeInterval(stage, opts.probeIntervalMs ?? opts.system.health.intervalMs);
  const { runbookIdentity: _identity, ...sub } = newRun(def, opts, { ...deps, clock: run.clock });
  return {
    ...sub,
    backend: run.backend,
    teardown: run.teardown,
    signal: run.signal,
    vars: run.vars,
    abortGraceMs: run.abortGraceMs,
    ...(run.estate ? { estate: run.estate } : {}),
    ...(run.resources ? { resources: run.resources } : {}),
    ...(run.dbRole !== undefined ? { dbRole: run.dbRole } : {}),
  };
}

/** The drill as declared, with the run's `--probe-interval` (else the system's `health.interval`) in place of its own. */
function withProbeInterval(def: DrillDefinition, ms: number | undefined): DrillDefinition {
  return ms === undefined ? def : { ...def, traffic: { ...def.traffic, probeInterval: `${ms}ms` } };
}

/** Run one phase: its timeline event with start, end and outcome, and a progress line each way. */
async function phase<T>(run: DrillRun, name: PhaseName, body: (run: DrillRun) => Promise<T> | T): Promise<T> {
  throwIfAborted(run.signal);
  run.phase = name;
  const ev = { kind: 'phase' as const, phase: name, t: run.clock.now() };
  run.timeline.push(ev);
  run.progress({ drillId: run.def.id, kind: 'phase-start', phase: name });
  const end = (ok: boolean, error?: string) => {
    Object.assign(ev, { end: run.clock.now(), ok, ...(error !== undefined ? { error } : {}) });
    run.progress({
      drillId: run.def.id,
      kind: 'phase-end',
      phase: name,
      ms: run.clock.now() - ev.t,
      ok,
      ...(error !== undefined ? { error } : {}),
    });
  };
  try {
    const out = await body(run);
    end(true);
    return out;
  } catch (e) {
    end(false, describe(e));
    throw e;
  }
}

/** Teardown is a phase too, but it runs on every path and never throws. */
async function teardownPhase(run: DrillRun): Promise<void> {
  const ev = { kind: 'phase' as const, phase: 'teardown' as const, t: run.clock.now() };
  run.timeline.push(ev);
  run.progress({ drillId: run.def.id, kind: 'phase-start', phase: 'teardown' });
  const ok = await teardown(run);
  Object.assign(ev, { end: run.clock.now(), ok });
  run.progress({ drillId: run.def.id, kind: 'phase-end', phase: 'teardown', ms: run.clock.now() - ev.t, ok });
}

/** Why the drill stopped before its measurement: a failed preparation (judged), or an error or abort. */
function stopped(run: DrillRun, e: unknown): void {
  if (e instanceof DrillAbandoned) {
    // Nothing to measure: the failed preparation step is already a failed criterion.
    run.record.criteria = [...run.stepFailures];
    return;
  }
  const aborted = e instanceof AbortedError || run.signal.aborted;
  const reason =
    run.signal.aborted && !(run.opts.signal?.aborted ?? false)
      ? `drill exceeded its ${run.def.timeouts.drill} deadline`
      : describe(e);
  run.record.error = {
    phase: run.phase,
    message: aborted ? `aborted in ${run.phase}: ${reason}` : reason,
    aborted,
  };
  if (!(e instanceof DrillError) && !aborted && process.env.DEBUG) console.error(e);
}

/**
 * The config's runbook for a drill: the scenario's own document when the config names that same document, else
 * the system's own runbook (its block ids mapped), whose blocks are judged by their exit status.
 */
function configuredRunbook(system: RunOptions['system'], own: Runbook): Runbook {
  const theirs = system.runbook;
  if (!theirs || theirs.text === own.text) return theirs ?? own;
  return { ...theirs, exitStatusOnly: true };
}

/** The drill-run state: everything the phases share, owned by the runner. */
function newRun(def: DrillDefinition, opts: RunOptions, deps: RunnerDeps): DrillRun {
  const clock = deps.clock ?? monotonicClock();
  const ms = (d: string) => parseDuration(d);
  // The runbook: --runbook, else the config's (its block ids mapped), else the scenario's own document.
  const runbook = def.runbookDoc
    ? (opts.runbook ?? configuredRunbook(opts.system, def.runbookDoc))
    : undefined;
  const configured = objectivesFor(opts.system, def.id);
  const timeline: TimelineEvent[] = [];
  const objectives = {
    ...(def.objectives.rto ? { rtoMs: ms(def.objectives.rto) } : {}),
    ...(def.objectives.rpo ? { rpoMs: ms(def.objectives.rpo) } : {}),
    ...(configured.rto ? { rtoMs: ms(configured.rto) } : {}),
    ...(configured.rpo ? { rpoMs: ms(configured.rpo) } : {}),
    ...opts.objectives,
  };
  const source = (o: 'rtoMs' | 'rpoMs') =>
    opts.objectives?.[o] !== undefined
      ? 'override'
      : configured[o === 'rtoMs' ? 'rto' : 'rpo'] !== undefined
        ? 'config'
        : 'scenario';
  const record: DrillRecord = {
    schemaVersion: SCHEMA_VERSION,
    drill: {
      id: def.id,
      title: def.title,
      quarter: def.quarter,
      ...(def.kind === 'routine' ? { kind: 'routine' as const } : {}),
      description: def.description,
      runbookSection: def.runbookSection,
      ...(def.source ? { source: def.source } : {}),
    },
    runId: opts.runId,
    backend: opts.backend,
    startedAt: isoAt(clock, 0),
    finishedAt: '',
    durationMs: 0,
    objectives,
    objectiveSources: {
      ...(objectives.rtoMs !== undefined ? { rto: source('rtoMs') } : {}),
      ...(objectives.rpoMs !== undefined ? { rpo: source('rpoMs') } : {}),
    },
    settings: {
      probeIntervalMs: ms(def.traffic.probeInterval),
      probePath: probeOf({ def, opts }).probePath,
      writeIntervalMs: 1000 / def.traffic.writesPerSecond,
      consecutive: def.traffic.consecutive,
      settleMs: ms(def.traffic.settle),
      ...(def.estate.postgres.standby ? { replication: def.estate.postgres.replication } : {}),
      ...(def.estate.sites
        ? {
            sites: {
              feed: def.estate.sites.feed,
              archiveTimeoutMs: def.estate.sites.archiveTimeoutMs,
              redisSnapshotMs: def.estate.sites.redisSnapshotMs,
              drApp: def.estate.sites.drApp,
            },
          }
        : {}),
    },
    timeline,
    criteria: [],
    checks: [],
    teardown: { kept: false, results: [], leaks: [] },
  };
  const progress = (p: Progress) => opts.onProgress?.(p);
  return {
    def,
    opts,
    clock,
    backend: deps.backend ?? backends,
    declaredObservers: deps.observers?.(def) ?? def.observers,
    abortGraceMs: deps.abortGraceMs ?? 1000,
    timeline,
    teardown: new TeardownStack(),
    record,
    signal: AbortSignal.any([
      ...(opts.signal ? [opts.signal] : []),
      AbortSignal.timeout(ms(def.timeouts.drill)),
    ]),
    ...(runbook ? { runbook } : {}),
    // Read off the drill's path: `git log` on a file takes a while in a long history.
    ...(runbook ? { runbookIdentity: runbookIdentity(runbook) } : {}),
    vars: {},
    phase: 'plan',
    observers: [],
    stepFailures: [],
    switchCheck: Promise.resolve(),
    procedureOk: false,
    progress,
    note: (message) => {
      timeline.push({ kind: 'note', t: clock.now(), message });
      progress({ drillId: def.id, kind: 'note', message });
    },
  };
}

/** Path, content hash and git commit of the runbook under test. */
function runbookIdentity(doc: Runbook): Promise<RunbookIdentity> {
  const sha256 = createHash('sha256').update(doc.text).digest('hex');
  return new Promise((resolve) => {
    execFile(
      'git',
      ['log', '-1', '--format=%H', '--', doc.path],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 10_000 },
      (err, stdout) => {
        const gitCommit = err ? '' : stdout.trim();
        resolve({ path: doc.path, sha256, ...(gitCommit ? { gitCommit } : {}) });
      },
    );
  });
}
