/**
 * The runner's own logic on a fake backend (no processes), fake observers and a manual clock: the order of the
 * phases, per-step deadlines, aborts, a failing teardown entry, a fault that throws, a pending recovery and the
 * switch event.
 */
import { loadSystem } from '../config/load.ts';
import { PROJECT_ROOT } from '../estate/host/project-root.ts';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../core/clock.ts';
import { StepError } from '../core/errors.ts';
import { delay } from '../core/poll.ts';
import type { TeardownStack } from '../core/teardown.ts';
import type {
  AppRole,
  Estate,
  EstateResources,
  PostgresRole,
  RedisRole,
  RouterRole,
  Topology,
} from '../estate/types.ts';
import { hostSite } from '../estate/host/site.ts';
import type { Fault } from '../faults/fault.ts';
import { computeRto, finalRto } from '../measure/rto.ts';
import { faultInstant, ofKind, type ProbeEvent } from '../measure/timeline.ts';
import { once, type Observer, type StartedObserver } from '../probes/observer.ts';
import type { Step } from '../runbook/step.ts';
import { defineDrill, type DrillSpec } from './define.ts';
import type { BackendSeam } from './drill-run.ts';
import { drillStatus, stageStatus, type DrillRecord } from '../record/record.ts';
import { runDrill, type RunnerDeps } from './runner.ts';

/** A database role that is only a name and a port. */
function fakePg(name: string, port: number): PostgresRole {
  return { name, port, dataDir: `/nowhere/${name}` } as unknown as PostgresRole;
}

interface FakeBackend extends BackendSeam {
  /** Where the clients' database endpoint leads: a step may move it. */
  route: 'primary' | 'standby';
  /** Names of the teardown entries that ran, in order. */
  undone: string[];
  provisioned: boolean;
}

/**
 * A backend that provisions nothing: an estate of names, with three teardown entries like a real one registers
 * (one throwing when asked), and a clean leak check.
 */
function fakeBackend(opts: { failingUndo?: boolean } = {}): FakeBackend {
  const primary = fakePg('postgres-primary', 5001);
  const standby = fakePg('postgres-standby', 5002);
  const b: FakeBackend = {
    route: 'primary',
    undone: [],
    provisioned: false,
    provision(_backend, _topology: Topology, ctx: { teardown: TeardownStack }) {
      b.provisioned = true;
      for (const name of ['stop postgres-primary', 'stop app', 'stop router']) {
        ctx.teardown.push(name, () => {
          b.undone.push(name);
          if (opts.failingUndo && name === 'stop app') throw new Error('app would not stop');
        });
      }
      const estate: Estate = {
        backend: 'local',
        runDir: '/nowhere',
        postgres: { primary, standby },
        app: { name: 'app' } as AppRole,
        router: { name: 'router' } as RouterRole,
        redis: { name: 'redis' } as RedisRole,
        endpoints: { app: 'http://127.0.0.1:9', db: primary as never },
        backups: { archiveDir: '/nowhere/archive', backupDir: '/nowhere/backups' },
        spare: () => Promise.reject(new Error('no spares here')),
        shell: () => {
          const site = hostSite({}, { cwd: '/nowhere' });
          return { host: site, database: site, secrets: [] };
        },
        authoritative: () => Promise.resolve(b.route === 'primary' ? primary : standby),
        identity: () =>
          Promise.resolve({ backend: 'local', appVersion: 'v1', nodeVersion: 'x', platform: 'y' }),
        resources: (): EstateResources => ({ pids: [], ports: [], dirs: [] }),
      };
      return Promise.resolve(estate);
    },
    findLeaks: () => Promise.resolve([]),
    markKept: () => undefined,
  };
  return b;
}

interface FakeObserverLog {
  started: number;
  stopped: number;
  readBack: number;
}

/**
 * A probe that needs no network: its probes are synthetic, good before the fault and, after it, good from
 * `recoversAfterMs` on (never, when undefined). Its recovery and RTO are the real pure functions over them.
 */
function fakeProbe(log: FakeObserverLog, recoversAfterMs?: number): Observer {
  return {
    name: 'fake-probe',
    start() {
      log.started++;
      const probesFrom = (faultAt: number): ProbeEvent[] =>
        Array.from({ length: 100 }, (_, i) => {
          const t = faultAt + i * 100;
          const ok = recoversAfterMs !== undefined && i * 100 >= recoversAfterMs;
          return { kind: 'probe', seq: i, t, end: t + 5, ok };
        });
      const opts = (faultAt: number, observedUntil: number) => ({
        faultAt,
        consecutive: 5,
        settleMs: 2000,
        observedUntil,
        intervalMs: 100,
      });
      const started: StartedObserver = {
        name: 'fake-probe',
        steady: (since) => ({ subject: 'fake probes succeed', lastBad: since, goodAfter: () => true }),
        recovery: (faultAt) => computeRto(probesFrom(faultAt), opts(faultAt, faultAt + 10_000)),
        // Idempotent, as every observer's stop must be: the runner stops observers on every path.
        stop: once(() => {
          log.stopped++;
          return Promise.resolve();
        }),
        readBack: () => {
          log.readBack++;
          return Promise.resolve();
        },
        measure: ({ faultAt }) =>
          faultAt === undefined
            ? {}
            : { rto: finalRto(probesFrom(faultAt), opts(faultAt, faultAt + 10_000)) },
      };
      return Promise.resolve(started);
    },
  };
}

function step(name: string, run: Step['run']): Step {
  return { name, run };
}

const ok = (name: string) => step(name, () => Promise.resolve({ detail: 'done' }));

function drill(spec: Partial<DrillSpec>): ReturnType<typeof defineDrill> {
  return defineDrill({
    id: 'fake-drill',
    title: 'a drill on a fake backend',
    quarter: 'Q1',
    description: 'unit test of the runner',
    runbookSection: 'none',
    objectives: { rto: '1m' },
    estate: { postgres: { standby: true, replication: 'async' }, redis: false, app: { version: 'v1' } },
    traffic: { steadyFor: '0ms' },
    timeouts: { step: '2s', recover: '100ms', steady: '1s' },
    procedure: () => [ok('the only step')],
    ...spec,
  });
}

function setup(opts: { failingUndo?: boolean; recoversAfterMs?: number | 'never' } = {}) {
  const backend = fakeBackend(opts);
  const log: FakeObserverLog = { started: 0, stopped: 0, readBack: 0 };
  const recovers = opts.recoversAfterMs === 'never' ? undefined : (opts.recoversAfterMs ?? 300);
  const deps: RunnerDeps = {
    clock: manualClock(),
    backend,
    observers: () => [fakeProbe(log, recovers)],
    abortGraceMs: 200,
  };
  return { backend, log, deps };
}

const harmless = (): Fault => ({
  name: 'pretend kill',
  target: 'postgres-primary',
  inject: () => Promise.resolve(),
  revert: () => Promise.resolve(),
});

const teardownNames = (r: DrillRecord) => r.teardown.results.map((x) => x.name);

/** The project's own system (the demo app): the fake backend ignores it; the runner reads its probe and objectives. */
const system = loadSystem(PROJECT_ROOT, {});

describe('runDrill on a fake backend', () => {
  it('runs the phases in order and passes when everything holds', async () => {
    const { deps, log } = setup();
    const r = await runDrill(drill({ fault: harmless }), { runId: 'r1', backend: 'local', system }, deps);
    expect(r.error).toBeUndefined();
    expect(ofKind(r.timeline, 'phase').map((p) => p.phase)).toEqual([
      'plan',
      'provision',
      'steady',
      'fault',
      'procedure',
      'recovery',
      'after',
      'measure',
      'teardown',
    ]);
    expect(drillStatus(r)).toBe('passed');
    expect(r.measurements?.rto).toMatchObject({ status: 'recovered', rtoMs: 300 });
    expect(log).toEqual({ started: 1, stopped: 1, readBack: 1 });
    expect(teardownNames(r)).toEqual([
      'revert fault pretend kill on postgres-primary',
      'stop router',
      'stop app',
      'stop postgres-primary',
    ]);
  });

  it('aborts a step at its deadline through its signal, and records it as a failed step', async () => {
    const { deps } = setup();
    let sawAbort: unknown;
    let after = false;
    const slow = step('slow step', async (ctx) => {
      try {
        await delay(10_000, ctx.signal);
      } catch (e) {
        sawAbort = e;
        throw e;
      }
    });
    const started = performance.now();
    const r = await runDrill(
      drill({
        fault: harmless,
        timeouts: { step: '50ms', recover: '100ms' },
        procedure: () => [slow, step('never runs', () => Promise.resolve(void (after = true)))],
      }),
      { runId: 'r2', backend: 'local', system },
      deps,
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(sawAbort).toBeInstanceOf(Error); // the step itself observed the abort
    expect(after).toBe(false);
    const [ev] = ofKind(r.timeline, 'step');
    expect(ev).toMatchObject({ name: 'slow step', ok: false, phase: 'procedure', via: 'harness' });
    expect(ev?.error).toBe('timed out after 50 ms waiting for step "slow step" to finish');
    expect(r.error).toBeUndefined();
    expect(drillStatus(r)).toBe('failed');
    expect(r.criteria.find((c) => c.name === 'procedure')).toMatchObject({
      passed: false,
      message: expect.stringMatching(/procedure step "slow step" failed: timed out after 50 ms/) as unknown,
    });
  });

  it('keeps the evidence of a runbook block killed at its deadline', async () => {
    const { deps } = setup();
    const block = step('runbook block promote', (ctx) => {
      // As runBlock does: the signal kills the process group, and the block's failure names its line.
      return new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () =>
          reject(
            new StepError("runbook block 'promote' was killed", {
              source: 'runbook.md#L12',
              exitCode: 137,
              output: 'promoting…',
            }),
          ),
        ),
      );
    });
    const r = await runDrill(
      drill({ fault: harmless, timeouts: { step: '30ms' }, procedure: () => [block] }),
      { runId: 'r2b', backend: 'local', system },
      deps,
    );
    expect(ofKind(r.timeline, 'step')[0]).toMatchObject({
      ok: false,
      source: 'runbook.md#L12',
      exitCode: 137,
      output: 'promoting…',
      error: expect.stringMatching(
        /^timed out after 30 ms waiting for step "runbook block promote" to finish: last error: runbook block 'promote' was killed$/,
      ) as unknown,
    });
  });

  it('stops a drill aborted mid-step: status error, a partial record, teardown run', async () => {
    const { deps, backend, log } = setup();
    const ctl = new AbortController();
    const waiting = step('wait for the operator', async (ctx) => {
      ctl.abort(new Error('SIGINT'));
      await delay(10_000, ctx.signal);
    });
    const r = await runDrill(
      drill({ fault: harmless, procedure: () => [ok('confirm down'), waiting, ok('never runs')] }),
      { runId: 'r3', backend: 'local', system, signal: ctl.signal },
      deps,
    );
    expect(drillStatus(r)).toBe('error');
    expect(r.error).toMatchObject({ phase: 'procedure', aborted: true });
    expect(r.error?.message).toMatch(/^aborted in procedure: .*SIGINT/);
    expect(ofKind(r.timeline, 'step').map((s) => [s.name, s.ok])).toEqual([
      ['confirm down', true],
      ['wait for the operator', false],
    ]);
    expect(r.faultAt).toBeDefined();
    expect(r.measurements).toBeUndefined();
    expect(log.stopped).toBe(1);
    expect(backend.undone).toEqual(['stop router', 'stop app', 'stop postgres-primary']);
    expect(ofKind(r.timeline, 'phase').at(-1)).toMatchObject({ phase: 'teardown', ok: true });
  });

  it('records a failing teardown entry, fails the drill, and still runs the other entries', async () => {
    const { deps, backend } = setup({ failingUndo: true });
    const r = await runDrill(drill({ fault: harmless }), { runId: 'r4', backend: 'local', system }, deps);
    expect(backend.undone).toEqual(['stop router', 'stop app', 'stop postgres-primary']);
    expect(r.teardown.results.find((x) => x.name === 'stop app')).toMatchObject({
      ok: false,
      error: 'app would not stop',
    });
    expect(r.criteria.find((c) => c.name === 'cleanup')).toMatchObject({
      passed: false,
      measured: '0 leaks, 1 failed undos',
    });
    expect(drillStatus(r)).toBe('failed');
  });

  it('records a fault whose injection throws, and still runs its revert', async () => {
    const { deps, backend } = setup();
    let reverted = false;
    const broken = (): Fault => ({
      name: 'kill -9',
      target: 'postgres-primary',
      inject: () => Promise.reject(new Error('postgres-primary is not running')),
      revert: () => Promise.resolve(void (reverted = true)),
    });
    const r = await runDrill(drill({ fault: broken }), { runId: 'r5', backend: 'local', system }, deps);
    expect(drillStatus(r)).toBe('error');
    expect(r.error).toEqual({ phase: 'fault', message: 'postgres-primary is not running', aborted: false });
    expect(reverted).toBe(true);
    expect(teardownNames(r)[0]).toBe('revert fault kill -9 on postgres-primary');
    expect(ofKind(r.timeline, 'fault').map((f) => f.state)).toEqual(['intent', 'reverted']);
    expect(ofKind(r.timeline, 'step')).toEqual([]);
    expect(backend.undone).toHaveLength(3);
  });

  it('takes t_f from the instant a composed fault marks, not from the start of its injection', async () => {
    const { deps } = setup();
    const clock = deps.clock as ReturnType<typeof manualClock>;
    const lagging = (): Fault => ({
      name: 'kill -9 after replication link stalled for 1s',
      target: 'postgres-primary',
      async inject(ctx) {
        ctx.emit({ kind: 'replication', what: 'link-stalled' });
        clock.advance(1000); // the lag
        ctx.markInstant();
        await Promise.resolve(); // the kill
      },
      revert: () => Promise.resolve(),
    });
    const r = await runDrill(drill({ fault: lagging }), { runId: 'r9', backend: 'local', system }, deps);
    expect(r.error).toBeUndefined();
    const [intent, injected] = ofKind(r.timeline, 'fault');
    const stalled = ofKind(r.timeline, 'replication')[0];
    expect(stalled).toMatchObject({ what: 'link-stalled', t: intent?.t });
    expect(r.faultAt).toBe((intent?.t ?? NaN) + 1000);
    expect(injected).toMatchObject({ state: 'injected', t: r.faultAt });
    expect(faultInstant(r.timeline)).toBe(r.faultAt);
    // The RTO is measured from the kill: the fake probes recover 300 ms after t_f.
    expect(r.measurements?.rto).toMatchObject({ status: 'recovered', rtoMs: 300 });
  });

  it('keeps t_f just before inject for a fault that marks nothing', async () => {
    const { deps } = setup();
    const clock = deps.clock as ReturnType<typeof manualClock>;
    const slow = (): Fault => ({
      name: 'kill -9',
      target: 'postgres-primary',
      inject: () => Promise.resolve(clock.advance(50)),
      revert: () => Promise.resolve(),
    });
    const r = await runDrill(drill({ fault: slow }), { runId: 'r10', backend: 'local', system }, deps);
    const [intent, injected] = ofKind(r.timeline, 'fault');
    expect(r.faultAt).toBe(intent?.t);
    expect(injected?.t).toBe(intent?.t);
  });

  it('does not pass a drill whose recovery is still pending when the recover timeout ends', async () => {
    const { deps } = setup({ recoversAfterMs: 'never' });
    const r = await runDrill(drill({ fault: harmless }), { runId: 'r6', backend: 'local', system }, deps);
    expect(r.error).toBeUndefined();
    expect(r.measurements?.rto?.status).toBe('not-recovered');
    expect(r.criteria.find((c) => c.name === 'rto')).toBeUndefined();
    expect(r.criteria.find((c) => c.name === 'recovered')).toMatchObject({ passed: false });
    expect(drillStatus(r)).toBe('failed');
    expect(ofKind(r.timeline, 'phase').find((p) => p.phase === 'recovery')).toMatchObject({ ok: true });
  });

  it('emits a switch event when a step moves the clients’ database endpoint to another role', async () => {
    const { deps, backend } = setup();
    const repoint = step('repoint db traffic to postgres-standby', () => {
      backend.route = 'standby';
      return Promise.resolve({ detail: 'moved' });
    });
    const r = await runDrill(
      drill({ fault: harmless, procedure: () => [ok('promote'), repoint, ok('verify writes')] }),
      { runId: 'r7', backend: 'local', system },
      deps,
    );
    const switches = ofKind(r.timeline, 'switch');
    expect(switches).toEqual([
      {
        kind: 'switch',
        t: expect.any(Number) as unknown,
        endpoint: 'db',
        from: 'postgres-primary',
        to: 'postgres-standby',
      },
    ]);
    const repointed = ofKind(r.timeline, 'step').find((s) => s.name.startsWith('repoint'));
    expect(switches[0]?.t).toBeGreaterThanOrEqual(repointed?.end ?? Infinity);
  });

  it('gives a drill that declares no observers the HTTP probe and the SQL canary', () => {
    expect(drill({}).observers.map((o) => o.name)).toEqual(['http-probe', 'sql-canary']);
  });
});

describe('runDrill with stages (a composite exercise) on a fake backend', () => {
  const stage = (id: string, spec: Partial<DrillSpec> = {}) =>
    drill({ id, title: `stage ${id}`, fault: harmless, ...spec });

  it('provisions once, runs every stage’s phases on the one estate, and judges each on its own', async () => {
    const { deps, log, backend } = setup();
    const def = drill({ id: 'fake-exercise', objectives: {}, stages: [stage('s-one'), stage('s-two')] });
    const r = await runDrill(def, { runId: 'r-ex', backend: 'local', system }, deps);
    expect(r.error).toBeUndefined();
    expect(backend.provisioned).toBe(true);
    expect(ofKind(r.timeline, 'phase').map((p) => p.phase)).toEqual([
      'plan',
      'provision',
      ...Array<string>(2)
        .fill('')
        .flatMap(() => ['steady', 'fault', 'procedure', 'recovery', 'after', 'measure']),
      'teardown',
    ]);
    const bounds = ofKind(r.timeline, 'stage');
    expect(bounds.map((b) => [b.index, b.id, b.ok])).toEqual([
      [1, 's-one', true],
      [2, 's-two', true],
    ]);
    expect(r.stages?.map((s) => [s.id, s.measurements?.rto?.status, stageStatus(s)])).toEqual([
      ['s-one', 'recovered', 'passed'],
      ['s-two', 'recovered', 'passed'],
    ]);
    // Each stage's t_f is its own, inside its own span.
    for (const [i, s] of (r.stages ?? []).entries()) {
      expect(s.faultAt).toBeGreaterThanOrEqual(bounds[i]?.t ?? Infinity);
      expect(s.faultAt).toBeLessThanOrEqual(bounds[i]?.end ?? -1);
    }
    // The exercise's criteria are the stages' (objective RTO 1 m each) plus cleanup: the plan verdict.
    expect(r.criteria.map((c) => c.name)).toEqual(['rto', 'rto', 'cleanup']);
    expect(drillStatus(r)).toBe('passed');
    expect(log).toEqual({ started: 2, stopped: 2, readBack: 2 });
    expect(teardownNames(r)).toEqual([
      'revert fault pretend kill on postgres-primary',
      'revert fault pretend kill on postgres-primary',
      'stop router',
      'stop app',
      'stop postgres-primary',
    ]);
  });

  it('runs a stage on the view of the estate it declares; the next stage finds the estate as provisioned', async () => {
    const { deps } = setup();
    const seen: string[] = [];
    const look = (id: string) =>
      step(`look from ${id}`, (ctx) => {
        seen.push(`${id}: ${ctx.estate.postgres.primary.name}`);
        return Promise.resolve({ detail: 'looked' });
      });
    const promoted = stage('s-one', {
      view: (e) => ({ ...e, postgres: { primary: { ...e.postgres.primary, name: 'promoted' } } }),
      procedure: () => [look('s-one')],
    });
    const def = drill({
      id: 'fake-exercise',
      objectives: {},
      stages: [promoted, stage('s-two', { procedure: () => [look('s-two')] })],
    });
    const r = await runDrill(def, { runId: 'r-ex3', backend: 'local', system }, deps);
    expect(drillStatus(r)).toBe('passed');
    expect(seen).toEqual(['s-one: promoted', 's-two: postgres-primary']);
  });

  it('a failing stage ends the exercise: the later stages are listed as not run, the plan fails', async () => {
    const { deps } = setup();
    const broken = stage('s-two', {
      procedure: () => [step('a step that fails', () => Promise.reject(new StepError('no')))],
    });
    const def = drill({
      id: 'fake-exercise',
      objectives: {},
      stages: [stage('s-one'), broken, stage('s-three')],
    });
    const r = await runDrill(def, { runId: 'r-ex2', backend: 'local', system }, deps);
    expect(r.error).toBeUndefined();
    expect(r.stages?.map((s) => [s.id, s.notRun ?? false])).toEqual([
      ['s-one', false],
      ['s-two', false],
      ['s-three', true],
    ]);
    expect(drillStatus(r)).toBe('failed');
    expect(r.criteria.filter((c) => !c.passed).map((c) => c.message)).toEqual([
      'procedure step "a step that fails" failed: no',
    ]);
    expect(ofKind(r.timeline, 'stage').map((b) => b.ok)).toEqual([true, false]);
  });
});
