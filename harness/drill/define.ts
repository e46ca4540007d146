import { parseDuration, type DurationString } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { CAPABILITIES, type Capability } from '../estate/backend.ts';
import type { Estate, Topology } from '../estate/types.ts';
import type { Fault } from '../faults/fault.ts';
import { defaultObservers, type Observer } from '../probes/observers.ts';
import type { Step } from '../runbook/step.ts';
import type { Runbook } from '../runbook/markdown.ts';
import type { SystemUnderTest } from '../config/system.ts';
import type { ConfigField } from '../config/uses.ts';
import { QUARTERS, type Quarter } from '../record/record.ts';

export type TimeoutName = 'provision' | 'steady' | 'step' | 'recover' | 'teardown' | 'drill';

export interface TrafficSettings {
  /**
   * Open-loop probe interval through the router (default '15ms'; `drill run --probe-interval` overrides it): the
   * RTO's resolution. 15 ms resolves a local failover's ~180 ms RTO to within 10 % (docs/speed.md).
   */
  probeInterval: DurationString;
  /**
   * Probe path on the app (default: the config's `health.path`, answered as `health.status` only when the app
   * can serve). A drill that probes the data itself sets its own.
   */
  probePath?: string;
  /** When set, a probe succeeds only if the body also contains this text (a probe of the data itself). */
  probeBodyIncludes?: string;
  probeTimeout: DurationString;
  /** Canary writes per second through the write path (default 50). */
  writesPerSecond: number;
  writeTimeout: DurationString;
  /** K: consecutive successful probes that make a recovery (default 5). */
  consecutive: number;
  /** No failure may follow a recovery within this window (default '2s'). */
  settle: DurationString;
  /** How long the steady state must hold before the fault (default '1s'). */
  steadyFor: DurationString;
}

/** What a scenario file declares. The runner does the rest, in the one order it knows. */
export interface DrillSpec {
  id: string;
  title: string;
  /**
   * The quarter of the DR plan's schedule it belongs to (`drill run --quarter`). A routine keeps one for the
   * record's shape, but nothing selects or shows a routine by it.
   */
  quarter: Quarter;
  /**
   * 'routine': a maintenance routine of the runbook (daily, weekly, monthly), not a DR drill: `drill run
   * --routines` selects the routines, `--quarter` and the drill calendar (`drill status`) leave them out, `drill
   * list` and the reports show `routine` for its quarter. Default 'drill'.
   */
  kind?: 'drill' | 'routine';
  /** Why this drill exists, for the report. */
  description: string;
  /** The runbook / DR-plan section this drill exercises. */
  runbookSection: string;
  objectives: { rto?: DurationString; rpo?: DurationString };
  /**
   * What the drill needs of a backend beyond its topology (which adds `standby`, `sync-replication` and
   * `redis` by itself): `spare-postgres` for a restore onto separate infrastructure, `compose` for the
   * runbook's Docker deployment commands. It runs on every backend that offers all of it.
   */
  needs?: Capability[];
  estate: Topology;
  traffic?: Partial<TrafficSettings>;
  timeouts?: Partial<Record<TimeoutName, DurationString>>;
  /** The runbook document whose blocks this drill executes (its path and hash go into the record). */
  runbookDoc?: Runbook;
  /** The ids of the blocks it executes: checked against the document (or a --runbook one) before anything starts. */
  runbookBlocks?: string[];
  /**
   * What watches the drill from steady state to recovery, each measured on its own (an HTTP probe: RTO; the
   * SQL canary: RPO; a Redis canary: the cache's loss). Default: `Observer.httpProbe()` and
   * `Observer.sqlCanary()`, configured by `traffic`.
   */
  observers?: Observer[];
  /**
   * The alerts its fault must fire (and that must resolve after the recovery), watched when the estate has
   * monitoring (`estate.monitoring`, or `--alerts`); `routing` overrides the runbook's promise of which receivers
   * each severity reaches.
   */
  alerts?: {
    expect: string[];
    /**
     * Alerts the fault touches for less than their `for`: they may go pending, but must not fire nor notify
     * anyone (a blip must page nobody). Fails the drill if one does.
     */
    mustNotPage?: string[];
    routing?: Record<string, string[]>;
    /**
     * The drill's own `--alert-time-scale` when none is given. A drill proving that a blip pages nobody runs at
     * a scale where its outage, scaled, stays shorter than the rules' `for` (a 2.5 s outage at 1/40 stands for
     * 100 s against a 1 m `for`; at 1/10 for 25 s).
     */
    timeScale?: number;
  };
  /**
   * The fields of the config's `data` and `cache` sections the drill reads (its seed, fingerprint, the table
   * its disaster drops …): a system whose config lacks one is not one the drill applies to, and `drill run`
   * says so before anything starts.
   */
  uses?: ConfigField[];
  /**
   * The clients' probe, from the system's config (a read of its data, its marker row): what the drill's fault
   * breaks. Takes precedence over `traffic.probePath`; default: the config's `health`.
   */
  probe?(system: SystemUnderTest): { path: string; status?: number; bodyIncludes?: string };
  /**
   * Preparation before steady state and fault (the runbook's "Phase 1: Preparation": backups, marker rows).
   * `system` is the system under test: its `data` and `cache` sections say what to seed and fingerprint.
   */
  prepare?(estate: Estate, system: SystemUnderTest): Step[];
  /** The fault, built from the estate's roles. A drill without one verifies a procedure (e.g. a backup). */
  fault?(estate: Estate, system: SystemUnderTest): Fault;
  /** The documented recovery procedure, in order. */
  procedure(estate: Estate, system: SystemUnderTest): Step[];
  /**
   * Stand the monitoring up where the backend offers it (and its programs are installed), and run without it
   * elsewhere: a drill that checks the monitoring rather than one that needs it to measure (the pre-deployment
   * checklist, whose Monitoring items skip without one).
   */
  monitoringWhenOffered?: boolean;
  /**
   * The procedure must cause no outage (a maintenance routine under traffic): any failed probe or refused write
   * from steady state to the end fails the drill (the `client-impact` criterion).
   */
  zeroClientImpact?: boolean;
  /**
   * A composite exercise: these drills' phases (prepare, steady, fault, procedure, recovery, measure) one after
   * another on this drill's one estate, each judged against its own objectives (`drill/stages.ts`). Their
   * topology is this drill's; `procedure` is then unused.
   */
  stages?: readonly DrillDefinition[];
  /**
   * As a stage of an exercise: the estate as this stage finds it, when an earlier stage moved the roles (the
   * server a failover promoted is the primary now, the DR site serves). Its scenario then runs unchanged against
   * that view (`estate/view.ts`). Default: the estate as provisioned.
   */
  view?(estate: Estate): Promise<Estate> | Estate;
}

export interface DrillDefinition extends DrillSpec {
  /** Everything it needs of a backend: the declared needs and what its topology implies. */
  needs: Capability[];
  observers: Observer[];
  traffic: TrafficSettings;
  timeouts: Record<TimeoutName, DurationString>;
  /** The file that declared it (filled by the registry). */
  source?: string;
}

export const DEFAULT_TRAFFIC: TrafficSettings = {
  probeInterval: '15ms',
  probeTimeout: '1s',
  writesPerSecond: 50,
  writeTimeout: '2s',
  consecutive: 5,
  settle: '2s',
  steadyFor: '1s',
};

export const DEFAULT_TIMEOUTS: Record<TimeoutName, DurationString> = {
  provision: '60s',
  steady: '15s',
  step: '30s',
  recover: '60s',
  teardown: '30s',
  drill: '5m',
};

const ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

/**
 * Declare a drill. Validates what can be validated before anything starts; a bad field is a UsageError naming
 * the drill and the field.
 */
export function defineDrill(spec: DrillSpec): DrillDefinition {
  const where = `drill ${JSON.stringify(spec.id)}`;
  const bad = (field: string, why: string) => new UsageError(`${where}: ${field} ${why}`);
  if (typeof spec.id !== 'string' || !ID.test(spec.id)) throw bad('id', 'must be kebab-case (a-z, 0-9, -)');
  if (!spec.title) throw bad('title', 'is required');
  if (!QUARTERS.includes(spec.quarter)) throw bad('quarter', `must be one of ${QUARTERS.join(', ')}`);
  if (spec.kind !== undefined && spec.kind !== 'drill' && spec.kind !== 'routine')
    throw bad('kind', "must be 'drill' or 'routine'");
  for (const [k, v] of Object.entries(spec.objectives)) {
    if (k !== 'rto' && k !== 'rpo') throw bad(`objectives.${k}`, 'is not an objective (rto, rpo)');
    if (v !== undefined) parseDuration(v, `${where}: objectives.${k}`);
  }
  const traffic = { ...DEFAULT_TRAFFIC, ...spec.traffic };
  for (const k of ['probeInterval', 'probeTimeout', 'writeTimeout', 'settle', 'steadyFor'] as const) {
    parseDuration(traffic[k], `${where}: traffic.${k}`);
  }
  if (!(traffic.writesPerSecond > 0 && traffic.writesPerSecond <= 1000))
    throw bad('traffic.writesPerSecond', 'must be in (0, 1000]');
  if (!Number.isInteger(traffic.consecutive) || traffic.consecutive < 1)
    throw bad('traffic.consecutive', 'must be a positive integer');
  if (traffic.probePath !== undefined && !traffic.probePath.startsWith('/'))
    throw bad('traffic.probePath', "must start with '/'");
  const timeouts = { ...DEFAULT_TIMEOUTS, ...spec.timeouts };
  for (const [k, v] of Object.entries(timeouts)) parseDuration(v, `${where}: timeouts.${k}`);
  for (const n of spec.needs ?? [])
    if (!CAPABILITIES.includes(n))
      throw bad('needs', `names an unknown capability '${String(n)}' (known: ${CAPABILITIES.join(', ')})`);
  if (spec.estate.postgres.replication === 'sync' && !spec.estate.postgres.standby) {
    throw bad('estate.postgres.replication', "'sync' needs a standby");
  }
  const sites = spec.estate.sites;
  if (sites) {
    // PostgreSQL counts archive_timeout in whole seconds.
    if (!(Number.isInteger(sites.archiveTimeoutMs / 1000) && sites.archiveTimeoutMs >= 1000))
      throw bad('estate.sites.archiveTimeoutMs', 'must be a whole number of seconds, at least 1 s');
    if (!(sites.redisSnapshotMs >= 1000 && Number.isInteger(sites.redisSnapshotMs / 1000)))
      throw bad('estate.sites.redisSnapshotMs', 'must be a whole number of seconds, at least 1 s');
  }
  if (spec.runbookBlocks?.length && !spec.runbookDoc) throw bad('runbookBlocks', 'needs a runbookDoc');
  if (spec.runbookDoc) checkRunbookBlocks(spec.id, spec.runbookDoc, spec.runbookBlocks ?? []);
  const observers = spec.observers ?? defaultObservers();
  if (observers.length === 0)
    throw bad('observers', 'must not be empty (omit it for the default probe and canary)');
  return { ...spec, needs: topologyNeeds(spec.estate, spec.needs ?? []), observers, traffic, timeouts };
}

/** The declared needs and what the topology implies, each once, in the order of CAPABILITIES. */
function topologyNeeds(estate: Topology, declared: readonly Capability[]): Capability[] {
  const needs = new Set(declared);
  if (estate.postgres.standby) needs.add('standby');
  if (estate.postgres.standby && estate.postgres.replication === 'sync') needs.add('sync-replication');
  if (estate.redis) needs.add('redis');
  if (estate.sites) needs.add('sites');
  if (estate.monitoring) needs.add('monitoring');
  return CAPABILITIES.filter((c) => needs.has(c));
}

/** Every block a drill executes must be in the runbook document it will run against. */
export function checkRunbookBlocks(drillId: string, doc: Runbook, ids: readonly string[]): void {
  const missing = ids.filter((id) => !doc.blocks.has(id));
  if (missing.length) {
    throw new UsageError(
      `${doc.path}: drill ${drillId} needs runbook block${missing.length > 1 ? 's' : ''} ${missing.map((m) => `id=${m}`).join(', ')}, which the document does not have`,
    );
  }
}
