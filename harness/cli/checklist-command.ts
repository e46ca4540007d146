/**
 * `drill checklist`: the pre-deployment checklist against a live estate (the `predeploy-checklist` drill), its
 * items printed, or with --json as `items[]`. Exit 0 when no item fails, 1 when one does. `--break NAME` first
 * breaks one item's condition on the estate, to prove that the item catches it.
 */
import { resolve } from 'node:path';
import { loadSystem } from '../config/load.ts';
import { parse } from '../core/args.ts';
import { newRunId } from '../core/session.ts';
import { PrerequisiteError, UsageError } from '../core/errors.ts';
import { runDrill } from '../drill/runner.ts';
import { requirePrerequisites, missingCapabilities } from '../estate/backend.ts';
import { CHECKLIST_BREAKS } from '../faults/checklist-breaks.ts';
import { drillStatus, type ChecklistItem, type DrillRecord } from '../record/record.ts';
import { runSummary } from '../report/summary.ts';
import { writeReports } from '../report/write.ts';
import { checklistOf } from '../runbook/checklist.ts';
import { forgetOwn } from '../estate/host/registry.ts';
import { ofKind } from '../measure/timeline.ts';
import { predeployChecklist } from '../../scenarios/predeploy-checklist.ts';
import { checkConfiguredBlocks, chooseBackend } from './commands.ts';
import { checkConfig } from './run-checks.ts';
import { releaseOf } from '../config/system.ts';
import { isInteractive, progressPrinter } from './progress.ts';
import { prepareReportInputs, REPORT_OPTIONS } from './report-commands.ts';
import type { Io } from './io.ts';
import {
  checkReceiverPorts,
  MONITORING_OPTIONS,
  monitoringSettings,
  offerMonitoring,
  withAlerts,
} from './monitoring-options.ts';

export const CHECKLIST_USAGE = [
  'checklist [--backend auto|local|docker] [--json] [--config FILE] [--break NAME] [--report-dir DIR]',
  '          [--rules FILE] [--alertmanager-config FILE] [--alert-time-scale F]',
  `    the pre-deployment checklist on a live estate (with its monitoring where the backend runs one); --break (${Object.keys(CHECKLIST_BREAKS).join(', ')}) breaks one item first`,
];

/** The monitoring flags of `drill run` that make sense for the checklist (not --alerts: it decides itself). */
const CHECKLIST_MONITORING_OPTIONS = {
  rules: MONITORING_OPTIONS.rules,
  'alertmanager-config': MONITORING_OPTIONS['alertmanager-config'],
  dashboard: MONITORING_OPTIONS.dashboard,
  'alert-time-scale': MONITORING_OPTIONS['alert-time-scale'],
} as const;

export async function checklistCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse('checklist', argv, {
    backend: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    config: { type: 'string' },
    break: { type: 'string' },
    'report-dir': { type: 'string', default: 'reports' },
    ...REPORT_OPTIONS,
    ...CHECKLIST_MONITORING_OPTIONS,
  });
  // The config, validated whole (the system under test and its checklist section) before anything starts.
  const system = loadSystem(process.cwd(), io.env, values.config);
  const opts = checklistOf(system);
  const brkName = values.break;
  const brk = brkName === undefined ? undefined : CHECKLIST_BREAKS[brkName];
  if (brkName !== undefined && !brk)
    throw new UsageError(
      `checklist: --break must be one of ${Object.keys(CHECKLIST_BREAKS).join(', ')}, not '${brkName}'`,
    );
  let def = predeployChecklist(opts, brk && brkName ? { name: brkName, fault: brk.fault } : undefined);
  // A break of the monitoring needs it: the drill then needs it too, wherever it runs.
  if (brk?.needs?.includes('monitoring')) def = withAlerts(def);
  let monitoring = monitoringSettings(values, [def], io.env);
  if (monitoring) await checkReceiverPorts(io.env);
  checkConfig(io.env);
  releaseOf(system, def.estate.app.version);
  if (system.runbook) checkConfiguredBlocks(def, system);
  // With --json, stdout carries the JSON document only.
  const say = values.json ? io.err : io.out;
  const chosen = await chooseBackend(values.backend, { ...io, out: say }, [def]);
  const missing = missingCapabilities(chosen, def.needs);
  if (missing.length)
    throw new UsageError(
      `checklist: the ${chosen.name} backend lacks ${missing.join(', ')}${brkName ? `, which --break ${brkName} needs` : ''}`,
    );
  const log = (line: string) => io.err.write(`drill: ${line}\n`);
  // The monitoring stands up where the backend offers it; the Monitoring items check it.
  const offered = await offerMonitoring([def], chosen, values, monitoring, io.env, log);
  def = offered.drills[0] ?? def;
  monitoring = offered.settings;
  if (brk?.backends && !brk.backends.includes(chosen.name))
    throw new UsageError(
      `checklist: --break ${brkName ?? ''} runs on ${brk.backends.join(', ')} only, not on ${chosen.name}`,
    );
  if (brk?.root && process.getuid?.() !== 0)
    throw new PrerequisiteError(
      `--break ${brkName ?? ''} mounts a small file system (tmpfs) for the database, which needs root`,
      'run it as root',
    );
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
    ...(monitoring ? { monitoring } : {}),
    ...(interactive ? { onProgress: progressPrinter(io.out, true) } : {}),
  });
  const summary = runSummary(runId, chosen.name, startedAt, [record]);
  const written = await writeReports(resolve(values['report-dir']), summary, [record], reportInputs);
  // The estate is torn down (a checklist keeps nothing): the registry entry has served, as after `drill run`.
  forgetOwn();
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
