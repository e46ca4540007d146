/**
 * `drill checklist`: the pre-deployment checklist against a live estate (the `predeploy-checklist` drill), its
 * items printed, or with --json as `items[]`. Exit 0 when no item fails, 1 when one does. `--break NAME` first
 * breaks one item's condition on the estate, to prove that the item catches it.
 */
import { dirname, resolve } from 'node:path';
import { loadConfig, loadSystem } from '../config/load.ts';
import { parse } from '../core/args.ts';
import { newRunId } from '../core/session.ts';
import { PrerequisiteError, UsageError } from '../core/errors.ts';
import { runDrill } from '../drill/runner.ts';
import { requirePrerequisites, missingCapabilities } from '../estate/backend.ts';
import { CHECKLIST_BREAKS } from '../faults/checklist-breaks.ts';
import { drillStatus, type ChecklistItem, type DrillRecord } from '../record/record.ts';
import { runSummary } from '../report/summary.ts';
import { writeReports } from '../report/write.ts';
import { parseChecklistOptions, type ChecklistOptions } from '../runbook/checklist.ts';
import { ofKind } from '../measure/timeline.ts';
import { predeployChecklist } from '../../scenarios/predeploy-checklist.ts';
import { checkConfiguredBlocks, chooseBackend } from './commands.ts';
import { checkConfig } from './run-checks.ts';
import { releaseOf } from '../config/system.ts';
import { isInteractive, progressPrinter } from './progress.ts';
import { prepareReportInputs, REPORT_OPTIONS } from './report-commands.ts';
import type { Io } from './io.ts';

export const CHECKLIST_USAGE = [
  'checklist [--backend auto|local|docker] [--json] [--config FILE] [--break NAME] [--report-dir DIR]',
  `    the pre-deployment checklist on a live estate; --break (${Object.keys(CHECKLIST_BREAKS).join(', ')}) breaks one item first`,
];

/**
 * The `checklist` section of the config file (--config, DRILL_CONFIG, else the project's drillbook.config.yaml),
 * read and validated by the one config loader; without a section, the demo estate's own declaration.
 */
export function loadChecklistConfig(
  cwd: string,
  env: NodeJS.ProcessEnv,
  file: string | undefined,
): ChecklistOptions {
  const loaded = loadConfig(cwd, env, file);
  const section = loaded.config.checklist;
  const opts = parseChecklistOptions(section, loaded.display);
  // Gates the file declares run beside it; the estate's own run in the project.
  return section?.gates !== undefined && loaded.path ? { ...opts, gatesDir: dirname(loaded.path) } : opts;
}

export async function checklistCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse('checklist', argv, {
    backend: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    config: { type: 'string' },
    break: { type: 'string' },
    'report-dir': { type: 'string', default: 'reports' },
    ...REPORT_OPTIONS,
  });
  // The config, validated whole (its checklist section and the system under test) before anything starts.
  const opts = loadChecklistConfig(process.cwd(), io.env, values.config);
  const system = loadSystem(process.cwd(), io.env, values.config);
  const brkName = values.break;
  const brk = brkName === undefined ? undefined : CHECKLIST_BREAKS[brkName];
  if (brkName !== undefined && !brk)
    throw new UsageError(
      `checklist: --break must be one of ${Object.keys(CHECKLIST_BREAKS).join(', ')}, not '${brkName}'`,
    );
  const def = predeployChecklist(opts, brk && brkName ? { name: brkName, fault: brk.fault } : undefined);
  checkConfig(io.env);
  releaseOf(system, def.estate.app.version);
  if (system.runbook) checkConfiguredBlocks(def, system);
  // With --json, stdout carries the JSON document only.
  const say = values.json ? io.err : io.out;
  const chosen = await chooseBackend(values.backend, { ...io, out: say }, [def]);
  const missing = missingCapabilities(chosen, def.needs);
  if (missing.length)
    throw new UsageError(`checklist: the ${chosen.name} backend lacks ${missing.join(', ')}`);
  if (brk?.backends && !brk.backends.includes(chosen.name))
    throw new UsageError(
      `checklist: --break ${brkName ?? ''} runs on ${brk.backends.join(', ')} only, not on ${chosen.name}`,
    );
  if (brk?.root && process.getuid?.() !== 0)
    throw new PrerequisiteError(
      `--break ${brkName ?? ''} mounts a small file system (tmpfs) for the database, which needs root`,
      'run it as root',
    );
  const log = (line: string) => io.err.write(`drill: ${line}\n`);
  if (chosen.prepare) await chosen.prepare({ env: io.env, needs: def.needs, log });
  else await requirePrerequisites(chosen, io.env, def.needs);
  const reportInputs = prepareReportInputs(values, io.env);

  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const interactive = !values.json && isInteractive(io.out, io.env);
  const record = await runDrill(def, {
    runId,
    backend: chosen.name,
    system,
    signal: io.signal,
    ...(interactive ? { onProgress: progressPrinter(io.out, true) } : {}),
  });
  const summary = runSummary(runId, chosen.name, startedAt, [record]);
  const written = await writeReports(resolve(values['report-dir']), summary, [record], reportInputs);
  const items = record.checklist ?? [];
  const failed = items.filter((i) => i.status === 'fail');
  const rollout = rolloutStarted(record);
  if (values.json) {
    io.out.write(
      `${JSON.stringify(
        {
          runId,
          backend: chosen.name,
          status: drillStatus(record),
          ...(brkName ? { broken: { name: brkName, item: brk?.item, what: brk?.what } } : {}),
          items: items.map(jsonItem),
          rollout: rollout ? 'started' : 'not started',
          ...(record.error ? { error: record.error.message } : {}),
          report: written.dir,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    for (const line of renderItems(items)) io.out.write(`${line}\n`);
    const counts = ['pass', 'fail', 'skip'].map((s) => `${items.filter((i) => i.status === s).length} ${s}`);
    io.out.write(`checklist: ${counts.join(', ')}; rollout ${rollout ? 'started' : 'not started'}\n`);
    if (record.error) io.out.write(`error: ${record.error.message}\n`);
    io.out.write(`report: ${written.dir}/report.md\n`);
  }
  for (const w of written.warnings) io.err.write(`drill: ${w}\n`);
  if (io.signal.aborted) return 130;
  return items.length > 0 && failed.length === 0 && drillStatus(record) === 'passed' ? 0 : 1;
}

/** Whether the rollout (the deploy-release block after the gate) ran at all. */
function rolloutStarted(r: DrillRecord): boolean {
  return ofKind(r.timeline, 'step').some(
    (s) => s.phase === 'procedure' && s.name === 'runbook block deploy-release',
  );
}

function jsonItem(i: ChecklistItem) {
  return {
    section: i.section,
    name: i.name,
    id: i.id,
    status: i.status,
    ...(i.reason !== undefined ? { reason: i.reason } : {}),
    detail: i.detail,
    source: i.source,
    durationMs: i.durationMs,
  };
}

/** One line per item, grouped by section: `FAIL  backup  Logical dump ...: the logical dump is 30 h old ...`. */
export function renderItems(items: readonly ChecklistItem[]): string[] {
  const out: string[] = [];
  let section = '';
  for (const i of items) {
    if (i.section !== section) {
      section = i.section;
      out.push(`${section[0]?.toUpperCase() ?? ''}${section.slice(1)}`);
    }
    const what = i.status === 'pass' ? i.detail : (i.reason ?? i.detail);
    out.push(`  ${i.status.toUpperCase().padEnd(4)}  ${i.name}: ${what}  (${i.source})`);
  }
  return out;
}
