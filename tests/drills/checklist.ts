/**
 * What the checklist tests share: running `drill checklist --json` as a user does and reading what it printed
 * and what it left.
 */
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { expect } from 'vitest';
import type { DrillRecord } from '../../harness/record/record.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { drill, registryFilesOf, ROOT, tempReportDir, type CliResult } from '../cli.ts';

export interface ChecklistJson {
  runId: string;
  backend: string;
  status: string;
  rollout: 'started' | 'not started';
  broken?: { name: string; item: string };
  error?: string;
  report: string;
  items: {
    section: string;
    name: string;
    id: string;
    status: 'pass' | 'fail' | 'skip';
    reason?: string;
    detail: string;
    source: string;
  }[];
}

export async function checklist(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult & { json: ChecklistJson; record: DrillRecord }> {
  const res = await drill(['checklist', '--json', '--report-dir', tempReportDir(), ...args], { env });
  let json: ChecklistJson;
  try {
    json = JSON.parse(res.stdout) as ChecklistJson;
  } catch {
    throw new Error(`not JSON (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
  }
  const record = JSON.parse(
    readFileSync(join(json.report, 'predeploy-checklist.json'), 'utf8'),
  ) as DrillRecord;
  // A checklist keeps nothing: its entry in the machine's registry of runs is gone with it.
  expect(registryFilesOf(json.runId), 'registry files naming the run').toEqual([]);
  return { ...res, json, record };
}

/**
 * A config file of its own (in a temporary directory): the project's config (the demo system, its paths made
 * absolute; its checklist's gates run in the project, where their paths lead) with the fields of
 * `checklistSection` over its `checklist`.
 */
export function configFile(checklistSection: unknown): string {
  const project = parse(readFileSync(join(ROOT, 'drillbook.config.yaml'), 'utf8')) as {
    system: {
      local?: { cwd?: string };
      docker?: { compose?: { file: string } };
      tools?: string[];
    };
    runbook?: { file: string };
    checklist?: { gates?: { name: string; run: string }[] };
  };
  const abs = (p: string) => resolve(ROOT, p);
  const system = project.system;
  if (system.local) system.local.cwd = abs(system.local.cwd ?? '.');
  if (system.docker?.compose) system.docker.compose.file = abs(system.docker.compose.file);
  if (system.tools) system.tools = system.tools.map(abs);
  if (project.runbook) project.runbook.file = abs(project.runbook.file);
  const dir = mkdtempSync(join(tmpdir(), 'drill-checklist-config-'));
  const file = join(dir, 'drillbook.config.json');
  const own = project.checklist ?? {};
  const gates = own.gates?.map((g) => ({ ...g, run: `cd '${ROOT}' && ${g.run}` }));
  const checklist = { ...own, ...(gates ? { gates } : {}), ...(checklistSection as object) };
  writeFileSync(file, JSON.stringify({ ...project, checklist }));
  return file;
}

/** Every file of a run's report directory, as text (to look for what must never be there). */
export function reportText(dir: string): string {
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.pdf'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

/**
 * The checklist failed on `item` and on nothing else, saying what to do; the gate held and the rollout never
 * started; nothing of the estate is left.
 */
export function assertCaughtOnlyBy(
  res: CliResult & { json: ChecklistJson; record: DrillRecord },
  item: string,
): void {
  const why = `${res.stdout}\n${res.stderr}`;
  expect(res.code, why).toBe(1);
  expect(res.json.error, why).toBeUndefined();
  const failed = res.json.items.filter((i) => i.status === 'fail');
  expect(
    failed.map((i) => i.id),
    why,
  ).toEqual([item]);
  // A sentence a person can act on: what is wrong, then what to do before deploying.
  expect(failed[0]?.reason).toMatch(/: .+ before deploying$/);
  expect(failed[0]?.source).toMatch(/^fixtures\/runbook\/deployment-runbook\.md#L\d+$/);
  expect(res.json.rollout).toBe('not started');
  const steps = ofKind(res.record.timeline, 'step').filter((s) => s.phase === 'procedure');
  expect(steps.map((s) => [s.name, s.ok])).toEqual([
    ['pre-deployment checklist', true],
    ['gate: the pre-deployment checklist passed', false],
  ]);
  expect(steps[1]?.error).toContain(`pre-deployment checklist failed on ${item}: rollout not started`);
  expect(res.record.criteria.find((c) => c.name === 'checklist')).toMatchObject({ passed: false });
  expect(res.record.criteria.find((c) => c.name === 'cleanup')).toMatchObject({ passed: true });
  expect(labelledProcesses(res.json.runId)).toEqual([]);
}
