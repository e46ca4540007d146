import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { isoAt, monotonicClock, type Clock } from '../core/clock.ts';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { AbortedError, describe, DrillError, StepError, TimeoutError } from '../core/errors.ts';
import { poll, throwIfAborted } from '../core/poll.ts';
import { TeardownStack } from '../core/teardown.ts';
import { findEstateLeaks, provisionEstate } from '../estate/provision.ts';
import { writeMarker, readMarker } from '../estate/host/run-dir.ts';
import type { BackendName, Estate, EstateResources } from '../estate/types.ts';
import { computeRpo, toRanges } from '../measure/rpo.ts';
import { computeRto, finalRto, type RtoOptions } from '../measure/rto.ts';
import { ofKind, type PhaseName, type TimelineEvent } from '../measure/timeline.ts';
import { CanaryWriter } from '../probes/canary-writer.ts';
import { acceptBodyIncludes, HttpProber } from '../probes/http-probe.ts';
import type { DrillDefinition } from './define.ts';
import type { Step, StepContext } from '../runbook/step.ts';
import type { Runbook } from '../runbook/markdown.ts';
import { PROJECT_ROOT } from '../estate/host/project-root.ts';
import { SCHEMA_VERSION, type Criterion, type DrillRecord } from '../record/record.ts';
import { evaluate } from './verdict.ts';

export interface RunOptions {
  runId: string;
  backend: BackendName;
  /** Objective overrides for this run only, in ms. */
  objectives?: { rtoMs?: number; rpoMs?: number };
  /** Run the drill's runbook blocks from this document instead of the scenario's (--runbook). */
  runbook?: Runbook;
  /** Leave the estate running for inspection (`drill cleanup` removes it later). */
  keep?: boolean;
  /** Ctrl-C / SIGTERM. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export type Progress =
  | { drillId: string; kind: 'phase-start'; phase: PhaseName }
  | { drillId: string; kind: 'phase-end'; phase: PhaseName; ms: number; ok: boolean; error?: string }
  | { drillId: string; kind: 'note'; message: string };

/**
 * Run one drill, in the one order drillbook knows: plan, provision, steady, fault, runbook, recovery, after,
 * measure, teardown. Always returns a record, also when the drill fails or is aborted; never leaves the estate
 * behind unless asked to.
 */
export async function runDrill(def: DrillDefinition, opts: RunOptions): Promise<DrillRecord> {
  const clock = monotonicClock();
  const runbookDoc = def.runbookDoc ? (opts.runbook ?? def.runbookDoc) : undefined;
  const timeline: TimelineEvent[] = [];
  const teardown = new TeardownStack();
  const ms = (d: string) => parseDuration(d);
  const drillSignal = AbortSignal.any([
    ...(opts.signal ? [opts.signal] : []),
    AbortSignal.timeout(ms(def.timeouts.drill)),
  ]);
  const progress = (p: Progress) => opts.onProgress?.(p);
  const note = (message: string) => {
    timeline.push({ kind: 'note', t: clock.now(), message });
    progress({ drillId: def.id, kind: 'note', message });
  };

  const objectives = {
    ...(def.objectives.rto ? { rtoMs: ms(def.objectives.rto) } : {}),
    ...(def.objectives.rpo ? { rpoMs: ms(def.objectives.rpo) } : {}),
    ...opts.objectives,
  };
  const record: DrillRecord = {
    schemaVersion: SCHEMA_VERSION,
    drill: {
      id: def.id,
      title: def.title,
      quarter: def.quarter,
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
      ...(objectives.rtoMs !== undefined
        ? { rto: opts.objectives?.rtoMs !== undefined ? 'override' : 'scenario' }
        : {}),
      ...(objectives.rpoMs !== undefined
        ? { rpo: opts.objectives?.rpoMs !== undefined ? 'override' : 'scenario' }
        : {}),
    },
    settings: {
      probeIntervalMs: ms(def.traffic.probeInterval),
      probePath: def.traffic.probePath,
      writeIntervalMs: 1000 / def.traffic.writesPerSecond,
      consecutive: def.traffic.consecutive,
      settleMs: ms(def.traffic.settle),
      ...(def.estate.postgres.standby ? { replication: def.estate.postgres.replication } : {}),
    },
    timeline,
    criteria: [],
    checks: [],
    ...(runbookDoc ? { runbook: runbookIdentity(runbookDoc) } : {}),
    teardown: { kept: false, results: [], leaks: [] },
  };

  let current: PhaseName = 'plan';
  const phase = async <T>(name: PhaseName, body: () => Promise<T>): Promise<T> => {
    throwIfAborted(drillSignal);
    current = name;
    const ev = { kind: 'phase' as const, phase: name, t: clock.now() };
    timeline.push(ev);
    progress({ drillId: def.id, kind: 'phase-start', phase: name });
    try {
      const out = await body();
      Object.assign(ev, { end: clock.now(), ok: true });
      progress({ drillId: def.id, kind: 'phase-end', phase: name, ms: clock.now() - ev.t, ok: true });
      return out;
    } catch (e) {
      Object.assign(ev, { end: clock.now(), ok: false, error: describe(e) });
      progress({
        drillId: def.id,
        kind: 'phase-end',
        phase: name,
        ms: clock.now() - ev.t,
        ok: false,
        error: describe(e),
      });
      throw e;
    }
  };

  let estate: Estate | undefined;
  let resources: EstateResources | undefined;
  let traffic: Traffic | undefined;
  const runbookFailures: Criterion[] = [];
  let runbookMs: number | undefined;
  try {
    await phase('plan', () => Promise.resolve());
    estate = await phase('provision', () =>
      provisionEstate(opts.backend, def.estate, {
        runId: opts.runId,
        drillId: def.id,
        teardown,
        startTimeoutMs: ms(def.timeouts.provision),
        note,
      }),
    );
    resources = estate.resources();
    record.estate = await estate.identity();
    const e = estate;

    const vars: Record<string, string> = {};
    const stepCtx = (): StepContext => ({
      estate: e,
      signal: drillSignal,
      timeoutMs: ms(def.timeouts.step),
      vars,
      observe: () => ({
        probes: ofKind(timeline, 'probe'),
        writes: ofKind(timeline, 'write'),
        now: clock.now(),
        ...(record.faultAt !== undefined ? { faultAt: record.faultAt } : {}),
      }),
      ...(runbookDoc ? { runbook: runbookDoc } : {}),
      ...(record.faultAt !== undefined ? { faultAtIso: isoAt(clock, record.faultAt) } : {}),
      defer: (name, undo) => teardown.push(name, undo),
    });
    /** Run steps in order; the first failure stops the procedure and becomes a failed 'procedure' criterion. */
    const runSteps = async (which: 'prepare' | 'procedure', steps: Step[]): Promise<boolean> => {
      for (const step of steps) {
        throwIfAborted(drillSignal);
        const start = clock.now();
        // What the step left as evidence, whether it succeeded (its outcome) or failed (its StepError).
        const event = (
          ev: { source?: string; exitCode?: number; output?: string; detail?: string },
          error?: string,
        ) => {
          const source = ev.source ?? step.source;
          timeline.push({
            kind: 'step',
            phase: which,
            name: step.name,
            t: start,
            end: clock.now(),
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
          const ctx = stepCtx();
          const out = (await withDeadline(step.run(ctx), ctx.timeoutMs, step.name)) ?? {};
          event(out);
          record.checks.push(...(out.checks ?? []));
        } catch (err) {
          if (err instanceof AbortedError) throw err;
          const failed = err instanceof StepError ? err : undefined;
          // The block's own exit code is in the evidence (StepError.exitCode is the CLI's).
          event(failed?.evidence ?? {}, describe(err));
          record.checks.push(...(failed?.checks ?? []));
          runbookFailures.push({
            name: 'procedure',
            objective: `every ${which === 'prepare' ? 'preparation' : 'procedure'} step succeeds`,
            measured: `step "${step.name}" failed`,
            passed: false,
            message: `${which} step "${step.name}" failed: ${describe(err)}`,
          });
          return false;
        }
      }
      return true;
    };

    const prepared = def.prepare
      ? await phase('prepare', () => runSteps('prepare', def.prepare?.(e) ?? []))
      : true;
    if (!prepared) throw new DrillAbandoned('preparation failed');

    traffic = await phase('steady', () => startTraffic(def, e, clock, timeline, opts.runId, drillSignal));
    const t = traffic;

    const fault = def.fault?.(e);
    if (fault) {
      await phase('fault', async () => {
        timeline.push({
          kind: 'fault',
          state: 'intent',
          t: clock.now(),
          name: fault.name,
          target: fault.target,
        });
        teardown.push(`revert fault ${fault.name} on ${fault.target}`, async () => {
          await fault.revert();
          timeline.push({
            kind: 'fault',
            state: 'reverted',
            t: clock.now(),
            name: fault.name,
            target: fault.target,
          });
        });
        const tf = clock.now();
        record.faultAt = tf;
        await fault.inject(stepCtx());
        timeline.push({
          kind: 'fault',
          state: 'injected',
          t: tf,
          name: fault.name,
          target: fault.target,
          ...(fault.detail ? { detail: fault.detail } : {}),
        });
      });
    }

    const runbookStart = clock.now();
    const runbookOk = await phase('procedure', () => runSteps('procedure', def.procedure(e)));
    runbookMs = clock.now() - runbookStart;

    const rtoOpts = (): RtoOptions => ({
      faultAt: record.faultAt ?? 0,
      consecutive: def.traffic.consecutive,
      settleMs: ms(def.traffic.settle),
      observedUntil: t.prober.observedUntil(),
      intervalMs: ms(def.traffic.probeInterval),
    });
    if (runbookOk && fault) {
      await phase('recovery', async () => {
        const r = await poll(
          () => {
            const res = computeRto(ofKind(timeline, 'probe'), rtoOpts());
            return res.status === 'recovered' ? res : undefined;
          },
          {
            subject: 'sustained recovery of the probes',
            timeoutMs: ms(def.timeouts.recover),
            intervalMs: 50,
            signal: drillSignal,
          },
        ).catch((err: unknown) => {
          if (err instanceof TimeoutError) return undefined; // measured below as not recovered
          throw err;
        });
        if (r) note(`recovered ${formatDuration(r.rtoMs)} after the fault`);
      });
    }

    const present = await phase('after', async () => {
      await t.stop();
      try {
        const db = await e.authoritative();
        const rows = await db.query<{ seq: string }>(
          'SELECT canary_seq::text AS seq FROM orders WHERE canary_run = $1',
          [opts.runId],
        );
        note(`read back ${rows.length} canary rows from ${db.name}`);
        return new Set(rows.map((r) => Number(r.seq)));
      } catch (err) {
        // After a failed runbook the database may be beyond reading; that is the runbook's failure, not ours.
        if (runbookOk) throw err;
        note(`canary read-back impossible after the failed runbook: ${describe(err)}`);
        return undefined;
      }
    });

    await phase('measure', () => {
      const rto = fault
        ? finalRto(ofKind(timeline, 'probe'), { ...rtoOpts(), observedUntil: clock.now() })
        : undefined;
      // Without a fault, every acked write must still be there: loss is measured from the end of the procedure.
      const rpo = present
        ? computeRpo(ofKind(timeline, 'write'), present, record.faultAt ?? clock.now())
        : undefined;
      record.measurements = {
        ...(rto ? { rto } : {}),
        ...(rpo ? { rpo } : {}),
        ...(present ? { canaryRowsRead: present.size, presentSeqRanges: toRanges([...present]) } : {}),
        runbookMs,
      };
      record.criteria = [
        ...runbookFailures,
        ...evaluate(def.id, record.objectives, rto, rpo, record.checks, runbookOk),
      ];
      return Promise.resolve();
    });
  } catch (e) {
    if (e instanceof DrillAbandoned) {
      // Nothing to measure: the failed preparation step is already a failed criterion.
      record.criteria = [...runbookFailures];
    } else {
      const aborted = e instanceof AbortedError || drillSignal.aborted;
      const reason =
        drillSignal.aborted && !(opts.signal?.aborted ?? false)
          ? `drill exceeded its ${def.timeouts.drill} deadline`
          : describe(e);
      record.error = {
        phase: current,
        message: aborted ? `aborted in ${current}: ${reason}` : reason,
        aborted,
      };
      if (!(e instanceof DrillError) && !aborted && process.env.DEBUG) console.error(e);
    }
  } finally {
    await traffic?.stop().catch(() => undefined);
    await runTeardown(def, opts, record, teardown, estate, resources, clock, timeline, progress);
    record.finishedAt = isoAt(clock, clock.now());
    record.durationMs = clock.now();
  }
  return record;
}

async function runTeardown(
  def: DrillDefinition,
  opts: RunOptions,
  record: DrillRecord,
  teardown: TeardownStack,
  estate: Estate | undefined,
  resources: EstateResources | undefined,
  clock: Clock,
  timeline: TimelineEvent[],
  progress: (p: Progress) => void,
): Promise<void> {
  const ev = { kind: 'phase' as const, phase: 'teardown' as const, t: clock.now() };
  timeline.push(ev);
  progress({ drillId: def.id, kind: 'phase-start', phase: 'teardown' });
  if (opts.keep && estate) {
    const marker = readMarker(estate.runDir);
    if (marker) writeMarker(estate.runDir, { ...marker, kept: true });
    record.teardown = { kept: true, results: [], leaks: [] };
  } else {
    const results = await teardown.run();
    const leaks = await findEstateLeaks(
      opts.backend,
      opts.runId,
      resources ?? { pids: [], ports: [], dirs: [] },
    );
    record.teardown = { kept: false, results, leaks };
    const failed = results.filter((r) => !r.ok);
    // A leak or a failed undo fails the drill: the next run must start from nothing.
    record.criteria.push({
      name: 'cleanup',
      objective: 'nothing left behind',
      measured:
        leaks.length + failed.length === 0
          ? `${results.length} resources torn down, none left`
          : `${leaks.length} leaks, ${failed.length} failed undos`,
      passed: leaks.length + failed.length === 0,
      message:
        leaks.length + failed.length === 0
          ? 'teardown complete, leak check clean'
          : `cleanup left resources behind for "${def.id}": ${[...leaks, ...failed.map((f) => `${f.name}: ${f.error ?? ''}`)].join('; ')}`,
    });
  }
  const ok = record.teardown.leaks.length === 0 && record.teardown.results.every((r) => r.ok);
  Object.assign(ev, { end: clock.now(), ok });
  progress({ drillId: def.id, kind: 'phase-end', phase: 'teardown', ms: clock.now() - ev.t, ok });
}

interface Traffic {
  prober: HttpProber;
  writer: CanaryWriter;
  stop(): Promise<void>;
}

/**
 * Prove the steady state: the clients' path answers, then open-loop probes and the canary writer run until the
 * hypothesis has held for `steadyFor` (every probe succeeds, writes are acknowledged). Traffic keeps running
 * through the fault and the recovery.
 */
async function startTraffic(
  def: DrillDefinition,
  estate: Estate,
  clock: Clock,
  timeline: TimelineEvent[],
  runId: string,
  signal: AbortSignal,
): Promise<Traffic> {
  const ms = (d: string) => parseDuration(d);
  const prober = new HttpProber(
    clock,
    {
      url: `${estate.endpoints.app}${def.traffic.probePath}`,
      ...(def.traffic.probeBodyIncludes ? { accept: acceptBodyIncludes(def.traffic.probeBodyIncludes) } : {}),
      intervalMs: ms(def.traffic.probeInterval),
      timeoutMs: ms(def.traffic.probeTimeout),
    },
    (e) => timeline.push(e),
  );
  const writer = new CanaryWriter(
    clock,
    {
      baseUrl: estate.endpoints.app,
      canaryRun: runId,
      intervalMs: 1000 / def.traffic.writesPerSecond,
      timeoutMs: ms(def.traffic.writeTimeout),
    },
    (e) => timeline.push(e),
  );
  let stopped: Promise<void> | undefined;
  const traffic: Traffic = {
    prober,
    writer,
    stop: () => (stopped ??= Promise.all([prober.stop(), writer.stop()]).then(() => undefined)),
  };
  const started = clock.now();
  prober.start();
  writer.start();
  try {
    await poll(
      () => steadyHolds(timeline, started, clock.now(), ms(def.traffic.steadyFor), def.traffic.consecutive),
      {
        subject: `the steady state to hold for ${def.traffic.steadyFor} (every probe of ${def.traffic.probePath} succeeds, canary writes acknowledged)`,
        timeoutMs: ms(def.timeouts.steady),
        intervalMs: 50,
        signal,
      },
    );
  } catch (e) {
    await traffic.stop();
    throw e;
  }
  return traffic;
}

/** Steady-state hypothesis: since the last failure (or the start), `forMs` have passed with K+ good probes and acked writes. */
export function steadyHolds(
  timeline: readonly TimelineEvent[],
  since: number,
  now: number,
  forMs: number,
  k: number,
): boolean {
  const probes = ofKind(timeline, 'probe').filter((p) => p.t >= since);
  const writes = ofKind(timeline, 'write').filter((w) => w.t >= since);
  const lastBad = Math.max(
    since,
    ...probes.filter((p) => !p.ok).map((p) => p.end),
    ...writes.filter((w) => w.outcome !== 'ok').map((w) => w.t),
  );
  if (now - lastBad < forMs) return false;
  return (
    probes.filter((p) => p.t > lastBad).length >= k && writes.some((w) => w.t > lastBad && w.outcome === 'ok')
  );
}

/** Thrown to skip to teardown when a preparation step failed (recorded as a failed criterion, not an error). */
class DrillAbandoned extends Error {}

/** Path, content hash and git commit of the runbook under test. */
function runbookIdentity(doc: Runbook): { path: string; sha256: string; gitCommit?: string } {
  const sha256 = createHash('sha256').update(doc.text).digest('hex');
  try {
    const gitCommit = execFileSync('git', ['log', '-1', '--format=%H', '--', doc.path], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return { path: doc.path, sha256, ...(gitCommit ? { gitCommit } : {}) };
  } catch {
    return { path: doc.path, sha256 };
  }
}

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`step "${what}"`, ms, undefined)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
