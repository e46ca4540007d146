/**
 * What a backend is: one way of standing up the roles of a `Topology` (processes on this machine, containers,
 * later pods). The CLI and the runner know backends only through this interface and the registry
 * (`registry.ts`); everything specific to one lives in its own folder under `harness/estate/`.
 */
import { PrerequisiteError } from '../core/errors.ts';
import type { SystemUnderTest } from '../config/system.ts';
import type { TeardownStack } from '../core/teardown.ts';
import type { MonitoringSettings } from './monitoring/config.ts';
import type { Estate, Topology } from './types.ts';

/**
 * What a scenario may need beyond a primary database, the app and the router, and what a backend offers.
 * A drill runs on a backend that offers every capability it needs. `standby`, `sync-replication` and `redis`
 * follow from the drill's topology; the others a scenario declares (`needs`).
 */
export const CAPABILITIES = [
  /** A hot standby fed by streaming replication. */
  'standby',
  /** Synchronous replication to the standby. */
  'sync-replication',
  /** A Redis server. */
  'redis',
  /** `Estate.spare()`: separate infrastructure a runbook block restores a server onto. */
  'spare-postgres',
  /** The app deployed as a compose-like stack the runbook's Docker commands can replace (image tags). */
  'compose',
  /** Two sites (`Topology.sites`): a primary site and a DR site fed by shipped WAL and Redis snapshots. */
  'sites',
  /** A two-site estate whose primary site can be cut off the network alive (`PrimarySite.partition`). */
  'site-partition',
  /** The primary site's database data directory at hand for a failback's rebuild (`PRIMARY_DATA`, pg_rewind). */
  'site-failback',
  /** `Estate.spare()` on the two-site estate too (at the primary site), for a restore after a failback (Q4). */
  'site-spare-postgres',
  /** Prometheus, Alertmanager, the exporters and the drill's alert receivers beside the estate. */
  'monitoring',
  /** The app as a Kubernetes Deployment the runbook's `kubectl` commands act on (`NAMESPACE`, `KUBECONFIG`). */
  'kubernetes',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface ProvisionContext {
  runId: string;
  drillId: string;
  /** What is under test: how to start its app, see it healthy, and which releases it has. */
  system: SystemUnderTest;
  teardown: TeardownStack;
  startTimeoutMs: number;
  /** Progress inside the provision phase ("primary up", "standby streaming"). */
  note?: (message: string) => void;
  /** The monitoring files under test and the time scale, when the estate gets monitoring. */
  monitoring?: MonitoringSettings;
  /** Options from the backend's own flags of `drill run` (kube: `kubeContext`), validated before anything starts. */
  options?: Readonly<Record<string, string>>;
}

/** One thing a backend needs on this machine, found or not: a line of `drill doctor`. */
export interface Prerequisite {
  /** "PostgreSQL server binaries", "Docker engine". */
  what: string;
  ok: boolean;
  /** Where it was found or what it is (ok), or what is wrong (missing). */
  detail: string;
  /** How to get it, when missing. */
  remedy?: string;
  /** Needed only by drills that need this capability (redis-server); missing, it blocks only those. */
  onlyFor?: Capability;
  /** A choice the backend made here (the kube backend's cluster source): `--backend auto` repeats it. */
  choice?: true;
}

/** The part of the CLI's context a backend's own command gets. */
export interface CommandIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/** A `drill <name> ...` command a backend brings (docker: `drill images build|list`). */
export interface BackendCommand {
  /** Lines for `drill --help`, each "usage   what it does". */
  usage: string[];
  run(argv: string[], io: CommandIo): Promise<number>;
}

/** What `drill cleanup` asks each backend to sweep. */
export interface SweepOptions {
  /** Only this run's leftovers (default: every run's). */
  runId?: string;
  dryRun: boolean;
  /** Runs whose harness still runs: leave them unless `force`. */
  active: ReadonlySet<string>;
  /**
   * Runs known to be over (their harness is gone, or they were kept). Without `runId` or `force`, a backend
   * sweeps only these: a run it knows nothing about may be in progress under another TMPDIR.
   */
  ended?: ReadonlySet<string>;
  force: boolean;
  /** One line per thing removed (or, dry, that would be), or skipped. */
  log: (line: string) => void;
}

export interface Backend {
  /** `--backend <name>`, the record's `backend`, `drill list`'s backends column. */
  readonly name: string;
  /** What its estate is, in a few words ("processes on 127.0.0.1"). */
  readonly description: string;
  /** What its estates offer (see `Capability`). */
  readonly capabilities: readonly Capability[];
  /**
   * A backend that runs only drills written for it: those that need this capability (kube: `kubernetes`; the
   * other drills' procedures and timeouts are not verified there, so it does not claim them).
   */
  readonly onlyDrillsNeeding?: Capability;
  /**
   * What it needs on this machine, found or missing, with how to get it: for `drill doctor`, for
   * `--backend auto` (a backend with a missing prerequisite a drill needs is not picked) and `prepare`.
   */
  prerequisites(env: NodeJS.ProcessEnv, options?: Readonly<Record<string, string>>): Promise<Prerequisite[]>;
  /**
   * Before the first drill of a run starts (images, binaries): throws a PrerequisiteError (exit 3) naming
   * what is missing and how to get it. Default: every prerequisite the drills need is present.
   */
  prepare?(opts: {
    env: NodeJS.ProcessEnv;
    needs: readonly Capability[];
    log: (line: string) => void;
    /** The system under test (docker: its compose file must interpolate before anything starts). */
    system?: SystemUnderTest;
  }): Promise<void>;
  /**
   * Stand the topology up as an estate. Every resource registers its undo on `ctx.teardown` the moment it
   * exists; everything the estate starts carries the run id (DRILL_RUN_ID in a process's environment, the
   * drillbook.run-id label), so a killed run can be swept.
   */
  provision(topology: Topology, ctx: ProvisionContext): Promise<Estate>;
  /**
   * After teardown: what of this run the backend's own machinery still holds (docker: labelled containers,
   * networks, volumes). The estate's processes, ports and run directory (`Estate.resources()`) and every
   * process labelled with the run id are checked for every backend besides.
   */
  leaks?(runId: string, drillId?: string): Promise<string[]>;
  /**
   * `drill cleanup`: remove what killed runs left of the backend's own resources. Labelled processes and run
   * directories on this machine are swept for every backend besides. Returns how many things it found.
   */
  sweep?(opts: SweepOptions): Promise<number>;
  /** The second Ctrl-C: remove this run's resources synchronously, best effort, right before exiting. */
  sweepNow?(runId: string): void;
  /** Subcommands of `drill` the backend brings (`images`). */
  readonly commands?: Readonly<Record<string, BackendCommand>>;
}

/**
 * Capabilities among `needs` the backend does not offer; for a backend that runs only drills needing one
 * capability (`onlyDrillsNeeding`), a drill that does not need it misses that one.
 */
export function missingCapabilities(backend: Backend, needs: readonly Capability[]): Capability[] {
  const only = backend.onlyDrillsNeeding;
  if (only && !needs.includes(only)) return [only];
  return needs.filter((n) => !backend.capabilities.includes(n));
}

/** The prerequisites that are missing and needed by drills with these needs. */
export function blocking(
  prerequisites: readonly Prerequisite[],
  needs: readonly Capability[],
): Prerequisite[] {
  return prerequisites.filter((p) => !p.ok && (p.onlyFor === undefined || needs.includes(p.onlyFor)));
}

/** Throw the first missing prerequisite these needs depend on as a PrerequisiteError (exit 3). */
export async function requirePrerequisites(
  backend: Backend,
  env: NodeJS.ProcessEnv,
  needs: readonly Capability[],
  options?: Readonly<Record<string, string>>,
): Promise<void> {
  const [missing] = blocking(await backend.prerequisites(env, options), needs);
  if (missing)
    throw new PrerequisiteError(`${missing.what}: ${missing.detail}`, missing.remedy ?? 'see `drill doctor`');
}
