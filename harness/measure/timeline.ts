/**
 * The one timeline of a drill: everything that happened, tagged by `kind`, each stamped with readings of the
 * drill's monotonic clock (ms since the drill started). RTO, RPO and every report are pure functions of it.
 */
export type PhaseName =
  | 'plan'
  | 'provision'
  | 'prepare'
  | 'steady'
  | 'fault'
  | 'procedure'
  | 'recovery'
  | 'after'
  | 'measure'
  | 'teardown'
  | 'report';

export type WriteOutcome = 'ok' | 'fail' | 'indeterminate';

export interface PhaseEvent {
  kind: 'phase';
  phase: PhaseName;
  t: number;
  end?: number;
  ok?: boolean;
  error?: string;
}

/** One open-loop probe through the clients' path. `t` is when it was sent. */
export interface ProbeEvent {
  kind: 'probe';
  seq: number;
  t: number;
  end: number;
  ok: boolean;
  status?: number;
  error?: string;
  /** Which instance answered (the app's X-Served-By), and which database port behind it. */
  servedBy?: string;
  dbPort?: number;
}

/** One canary write through the application's write path. */
export interface WriteEvent {
  kind: 'write';
  seq: number;
  t: number;
  ack?: number;
  outcome: WriteOutcome;
  status?: number;
  error?: string;
}

/**
 * One canary write straight into the cache (Redis `SET` of one key per seq). The same fields as a database
 * canary write, as its own kind so the two canaries' losses are measured apart.
 */
export interface CacheWriteEvent {
  kind: 'cache-write';
  seq: number;
  t: number;
  ack?: number;
  outcome: WriteOutcome;
  error?: string;
}

export interface FaultEvent {
  kind: 'fault';
  state: 'intent' | 'injected' | 'reverted' | 'revert-failed';
  t: number;
  name: string;
  target: string;
  detail?: string;
}

export interface StepEvent {
  kind: 'step';
  name: string;
  t: number;
  end: number;
  ok: boolean;
  /** Where the step is written down: a runbook line `path#L12`, or the scenario/step module. */
  source?: string;
  exitCode?: number;
  detail?: string;
  error?: string;
  /** Captured output of a runbook block (redacted, trimmed). */
  output?: string;
  /** The phase the step ran in: preparation before the fault, or the recovery runbook after it. */
  phase?: 'prepare' | 'procedure';
  /** What ran: a block of the runbook document, or a harness action (observe, verify, stand in for infrastructure). */
  via?: StepVia;
  /** The step verifies (confirm down, verify writes, check data) and changes nothing: reports list it as a check. */
  verifies?: boolean;
}

/** What a step is: a block of the runbook document an operator would type, or an action of the harness. */
export type StepVia = 'runbook-block' | 'harness';

/**
 * A role switch the drill observed: the clients' endpoint (`db` or `app`) now leads to another role. Reports
 * state switchovers from these events, never from the text of notes.
 */
export interface SwitchEvent {
  kind: 'switch';
  t: number;
  endpoint: 'db' | 'app';
  /** Role names of the estate (`postgres-primary`, `postgres-standby`, a spare such as `pitr-target`). */
  from?: string;
  to: string;
}

/**
 * The replication state of the standby as the primary reports it (`pg_stat_replication`), read at one instant.
 * The lag columns are PostgreSQL's own (measured from the standby's replies, so they stop growing while no reply
 * arrives); the byte counts and the age of the last reply say how far behind the standby really was.
 */
export interface ReplicationSample {
  /** The walsender's state (`streaming`, `catchup`, ...) and the standby's `sync_state` (`async`, `sync`). */
  state: string;
  syncState: string;
  writeLagMs: number | null;
  flushLagMs: number | null;
  replayLagMs: number | null;
  /** WAL bytes the primary had written and not yet sent to the standby. */
  unsentBytes: number;
  /** WAL bytes the primary had written beyond what the standby reported written, flushed and replayed. */
  unwrittenBytes: number;
  unflushedBytes: number;
  unreplayedBytes: number;
  /** How old the standby's last reply was (null when it never replied). */
  replyAgeMs: number | null;
}

/**
 * What a replication fault did and saw: the link between primary and standby stalled or restored, and the
 * replication state sampled on the primary (just before the primary dies, in a lagging failover).
 */
export type ReplicationEvent =
  | { kind: 'replication'; t: number; what: 'link-stalled' | 'link-restored' }
  | { kind: 'replication'; t: number; what: 'sample'; sample: ReplicationSample | null };

/**
 * A file shipped to the DR site of a two-site estate: a WAL segment the primary archived into the DR site's
 * copy of the archive, or a Redis RDB snapshot copied there. `t` dates the file itself (its modification time
 * on the drill clock: the segment's arrival, the snapshot's writing); `seen` is when the observer saw it.
 */
export interface ShipmentEvent {
  kind: 'shipment';
  t: number;
  what: 'wal' | 'rdb';
  /** The segment's file name (`000000010000000000000003`), or `dump.rdb`. */
  name: string;
  seen: number;
}

/**
 * What the alert watcher saw of one alert rule: Prometheus's state of it (pending, firing, resolved), or a
 * notification of it at one of the drill's receivers (with the notification's status). `expected`: a fault
 * that must raise this alert strikes now (a stage of a sequence of faults); its firing is measured from here.
 */
export interface AlertEvent {
  kind: 'alert';
  t: number;
  name: string;
  severity?: string;
  state: 'pending' | 'firing' | 'resolved' | 'notified' | 'expected';
  /** notified: the Alertmanager receiver that got it, and whether it said firing or resolved. */
  receiver?: string;
  status?: 'firing' | 'resolved';
}

export interface NoteEvent {
  kind: 'note';
  t: number;
  message: string;
}

/**
 * One stage of a composite exercise (`q4-full-exercise`): several scenarios' phases one after another on one
 * estate. The stage's own events (phases, probes, writes, steps) lie between `t` and `end`.
 */
export interface StageEvent {
  kind: 'stage';
  /** The scenario the stage is (its objectives come from the plan under this id). */
  id: string;
  /** 1-based position in the exercise. */
  index: number;
  title: string;
  t: number;
  end?: number;
  ok?: boolean;
}

export type TimelineEvent =
  | PhaseEvent
  | StageEvent
  | ProbeEvent
  | WriteEvent
  | CacheWriteEvent
  | FaultEvent
  | StepEvent
  | SwitchEvent
  | ReplicationEvent
  | ShipmentEvent
  | AlertEvent
  | NoteEvent;

export function ofKind<K extends TimelineEvent['kind']>(
  events: readonly TimelineEvent[],
  kind: K,
): Extract<TimelineEvent, { kind: K }>[] {
  return events.filter((e): e is Extract<TimelineEvent, { kind: K }> => e.kind === kind);
}

/**
 * t_f, if a fault was injected: the instant the `injected` event carries (just before the fault action ran, or
 * the instant a composed fault marked), else that of the intent.
 */
export function faultInstant(events: readonly TimelineEvent[]): number | undefined {
  const faults = ofKind(events, 'fault');
  return (faults.find((e) => e.state === 'injected') ?? faults.find((e) => e.state === 'intent'))?.t;
}
