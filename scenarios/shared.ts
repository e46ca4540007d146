/**
 * What several scenarios share: the runbook under test, and the steps on the system's data as its config
 * declares it (`data`: the seed, the fingerprint, the markers). No scenario names a system's tables or routes.
 */
import { join } from 'node:path';
import { configured, type ConfigField } from '../harness/config/uses.ts';
import type { SystemUnderTest } from '../harness/config/system.ts';
import { loadRunbook } from '../harness/runbook/markdown.ts';
import type { RoleRef, Step as ProcedureStep, StepContext } from '../harness/runbook/step.ts';
import { Step } from '../harness/runbook/steps/index.ts';

export const RUNBOOK_PATH = 'fixtures/runbook/deployment-runbook.md';

/** The project's deployment runbook: its blocks are what the data-protection drills execute. */
export const deploymentRunbook = loadRunbook(join(import.meta.dirname, '..', RUNBOOK_PATH), RUNBOOK_PATH);

/** A text field of the config (SQL), present because the drill declared it in `uses`. */
export const sqlOf = (system: SystemUnderTest, field: ConfigField): string =>
  configured<string>(system, field);

/** A probe the config declares (`data.probe`, `data.markers.probe`). */
export const probeOf = (system: SystemUnderTest, field: ConfigField) =>
  configured<{ path: string; status: number; bodyIncludes?: string }>(system, field);

/** Run the config's SQL (`data.seed`, `data.markers.insert`) on a server; an error names the field. */
export const runConfigured = (
  name: string,
  system: SystemUnderTest,
  field: ConfigField,
  on: RoleRef,
): ProcedureStep => Step.sql(name, on, sqlOf(system, field), field);

/** Keep the answer of the config's fingerprint query (`data.fingerprint` …) for a later comparison. */
export const recordConfigured = (
  varName: string,
  system: SystemUnderTest,
  field: ConfigField,
  on: RoleRef,
): ProcedureStep => Step.record(varName, on, sqlOf(system, field), field);

/** The config's query must answer what was recorded (or a fixed value). */
export const checkConfigured = (
  name: string,
  system: SystemUnderTest,
  field: ConfigField,
  on: RoleRef,
  expected: (ctx: StepContext) => string,
): ProcedureStep => Step.check(name, on, sqlOf(system, field), expected, undefined, field);

/** The value a `record` step kept. */
export const recorded = (varName: string) => (ctx: StepContext) => ctx.vars[varName] ?? '?';

/** A table name from the config, quoted for SQL (`public.stock` → `"public"."stock"`). */
export const quotedTable = (system: SystemUnderTest): string =>
  sqlOf(system, 'data.table')
    .split('.')
    .map((p) => `"${p}"`)
    .join('.');
