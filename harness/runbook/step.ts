/**
 * What a step of a procedure is: the context it runs in and what it returns as evidence. The factory scenarios
 * build their procedures from is `Step` in `steps/index.ts`.
 */
import type { SystemUnderTest } from '../config/system.ts';
import type { Estate, PostgresRole } from '../estate/types.ts';
import type { Runbook } from './markdown.ts';
import type { ProbeEvent, StepVia, WriteEvent } from '../measure/timeline.ts';
import type { ChecklistItem, IntegrityCheck } from '../record/record.ts';

export interface StepContext {
  estate: Estate;
  signal: AbortSignal;
  /** Deadline for this step in ms. */
  timeoutMs: number;
  /**
   * Values steps hand on to later steps (a checksum taken before the fault, a restore target), exported to
   * runbook blocks as environment variables.
   */
  vars: Record<string, string>;
  /** Wall-clock ISO time of t_f, once the fault has been injected. */
  faultAtIso?: string;
  /** The system under test (the config file): its canary write, its health check. */
  system?: SystemUnderTest;
  /** The runbook under test (the scenario's, or one given with --runbook). */
  runbook?: Runbook;
  /** What the drill's traffic has observed so far, on the drill clock (for decisions made from live traffic). */
  observe(): { probes: ProbeEvent[]; writes: WriteEvent[]; now: number; faultAt?: number };
  /** Register the undo of something a step started: it runs in the drill's teardown. */
  defer?(name: string, undo: () => Promise<void> | void): void;
}

export interface StepOutcome {
  /** What the step observed, for the report: "promoted in 312 ms, now on timeline 2". */
  detail?: string;
  exitCode?: number;
  /** Captured output (redacted, trimmed), as evidence. */
  output?: string;
  checks?: IntegrityCheck[];
  /** Items of the pre-deployment checklist the step ran (the record's checklist section). */
  checklist?: ChecklistItem[];
  /** Overrides the step's declared source (a runbook block knows its line). */
  source?: string;
}

/** One step of a runbook procedure. Steps are actions: they throw when they fail. */
export interface Step {
  readonly name: string;
  /** Where the procedure is written down (runbook section or file#line). */
  readonly source?: string;
  /** A block of the runbook document, or a harness action (the default). */
  readonly via?: StepVia;
  /** The step only verifies (confirm down, verify writes, check data): reports list it among the checks. */
  readonly verifies?: boolean;
  run(ctx: StepContext): Promise<StepOutcome | void>;
}

/** A server of the estate, picked when the step runs (a spare only exists once reserved). */
export type RoleRef = (e: Estate) => PostgresRole | Promise<PostgresRole>;
