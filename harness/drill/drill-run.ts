import type { SystemUnderTest } from '../config/system.ts';
import type { MonitoringSettings } from '../estate/monitoring/config.ts';
import type { Clock } from '../core/clock.ts';
import type { TeardownStack } from '../core/teardown.ts';
import type { BackendName, Estate, EstateResources, Topology } from '../estate/types.ts';
import type { ProvisionContext } from '../estate/backend.ts';
import type { PhaseName, TimelineEvent } from '../measure/timeline.ts';
import type { Observer, StartedObserver } from '../probes/observer.ts';
import type { Runbook } from '../runbook/markdown.ts';
import type { DrillDefinition } from './define.ts';
import type { Criterion, DrillRecord } from '../record/record.ts';

export interface RunbookIdentity {
  path: string;
  sha256: string;
  gitCommit?: string;
}

/**
 * The state of one drill run, owned by the runner and handed to each phase: what was declared, what has been
 * acquired so far (the estate, the running observers), and the record being filled in.
 */
export interface DrillRun {
  readonly def: DrillDefinition;
  readonly opts: RunOptions;
  /** The drill's one monotonic clock. */
  readonly clock: Clock;
  readonly backend: BackendSeam;
  readonly declaredObservers: readonly Observer[];
  readonly abortGraceMs: number;
  readonly timeline: TimelineEvent[];
  /** Every undo, registered when its resource is acquired. */
  readonly teardown: TeardownStack;
  readonly record: DrillRecord;
  /** The user's abort and the drill's own deadline. */
  readonly signal: AbortSignal;
  /** The runbook document under test (the scenario's, or --runbook). */
  readonly runbook?: Runbook;
  /** Values steps hand on to later steps. */
  readonly vars: Record<string, string>;
  /** The phase running now (an error names it). */
  phase: PhaseName;
  estate?: Estate;
  resources?: EstateResources;
  /** Observers started at steady state, stopped after recovery (and on every path before teardown). */
  readonly observers: StartedObserver[];
  /** Failed preparation and procedure steps, as failed `procedure` criteria. */
  readonly stepFailures: Criterion[];
  procedureOk: boolean;
  /** Wall time of the whole procedure. */
  procedureMs?: number;
  /** The role the clients' database endpoint leads to, as last seen (a change is a switch event). */
  dbRole?: string;
  /** The switch checks made after each step, in order, off the procedure's path; awaited when a step list ends. */
  switchCheck: Promise<void>;
  progress: (p: Progress) => void;
  /** The runbook's path, hash and git commit, read while the drill runs; into the record at the end. */
  readonly runbookIdentity?: Promise<RunbookIdentity>;
  /** process.cpuUsage() and the drill clock when the observers started. */
  observing?: { cpu: NodeJS.CpuUsage; t: number };
  /** The harness's CPU while only the observers ran (the steady state), set when steady state held. */
  watchingCpu?: { cpuMs: number; wallMs: number };
  /** A note on the timeline and a progress line. */
  note: (message: string) => void;
}

export interface RunOptions {
  runId: string;
  backend: BackendName;
  /** The system under test, from the config file (config/load.ts). */
  system: SystemUnderTest;
  /** Objective overrides for this run only, in ms. */
  objectives?: { rtoMs?: number; rpoMs?: number };
  /** Run the drill's runbook blocks from this document instead of the scenario's (--runbook). */
  runbook?: Runbook;
  /** Leave the estate running for inspection (`drill cleanup` removes it later). */
  keep?: boolean;
  /** Ctrl-C / SIGTERM. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** `--probe-interval`: the HTTP probe's interval for this run, in place of the drill's own. */
  probeIntervalMs?: number;
  /** How many drills this run runs at once (`--parallel`), for the record of the harness's own CPU. */
  concurrency?: number;
  /** The monitoring files under test and the time scale, for drills whose estate has monitoring. */
  monitoring?: MonitoringSettings;
  /** Options of the chosen backend from its own flags (kube: `--kube-context`), for its provision. */
  backendOptions?: Readonly<Record<string, string>>;
}

export type Progress =
  | { drillId: string; kind: 'phase-start'; phase: PhaseName }
  | { drillId: string; kind: 'phase-end'; phase: PhaseName; ms: number; ok: boolean; error?: string }
  | { drillId: string; kind: 'note'; message: string };

/** What the runner needs of the backends: provision an estate, find what teardown left, mark a kept estate. */
export interface BackendSeam {
  provision(backend: BackendName, topology: Topology, ctx: ProvisionContext): Promise<Estate>;
  findLeaks(
    backend: BackendName,
    runId: string,
    resources: EstateResources,
    drillId?: string,
  ): Promise<string[]>;
  /** `--keep`: leave a mark on the estate so `drill cleanup` knows it was kept on purpose. */
  markKept(estate: Estate): void;
}
