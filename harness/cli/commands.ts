import { resolve } from 'node:path';
import { findConfig, loadSystem } from '../config/load.ts';
import { missingFields, notApplicable } from '../config/uses.ts';
import { releaseOf, type SystemUnderTest } from '../config/system.ts';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { newRunId } from '../core/session.ts';
import { checkRunbookBlocks, type DrillDefinition } from '../drill/define.ts';
import { loadRunbook } from '../runbook/markdown.ts';
import { drillStatus, stageStatus, QUARTERS, type DrillRecord, type Quarter } from '../record/record.ts';
import { runDrill } from '../drill/runner.ts';
import {
  blocking,
  missingCapabilities,
  requirePrerequisites,
  type Backend,
  type Capability,
} from '../estate/backend.ts';
import { BACKENDS, backendNamed } from '../estate/registry.ts';
import { runSummary } from '../report/summary.ts';
import { writeReports } from '../report/write.ts';
import { loadScenarios } from '../../scenarios/index.ts';
import { parse } from '../core/args.ts';
import { isInteractive, progressPrinter } from './progress.ts';
import { prepareReportInputs, REPORT_OPTIONS } from './report-commands.ts';
import { cleanup } from './cleanup.ts';
import { forgetOwn } from '../estate/host/registry.ts';
import { checkConfig, checkWritableDir, drillsForBackend, writeWithFallback } from './run-checks.ts';
import { parseParallel, parseShard, pool, shardOf } from './schedule.ts';
import type { Io } from './io.ts';
import { doctorRules } from './doctor-rules.ts';
import {
  checkReceiverPorts,
  MONITORING_OPTIONS,
  monitoringSettings,
  offerMonitoring,
  withAlerts,
} from './monitoring-options.ts';
import { KUBE_OPTIONS, kubeContextOptions } from './kube-options.ts';

export async function listCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse('list', argv, { json: { type: 'boolean' }, config: { type: 'string' } });
  const drills = await loadScenarios();
  // With a config file, each drill says whether it applies to that system (its `data` / `cache` fields).
  const system = findConfig(process.cwd(), io.env, values.config)
    ? loadSystem(process.cwd(), io.env, values.config)
    : undefined;
  const why = (d: DrillDefinition) => (system ? notApplicable(system, d.id, d.uses) : undefined);
  if (values.json) {
    const rows = drills.map((d) => ({
      id: d.id,
      title: d.title,
      quarter: d.quarter,
      kind: d.kind ?? 'drill',
      objectives: {
        ...(d.objectives.rto ? { rtoMs: parseDuration(d.objectives.rto) } : {}),
        ...(d.objectives.rpo ? { rpoMs: parseDuration(d.objectives.rpo) } : {}),
      },
      needs: d.needs,
      ...(d.stages ? { stages: d.stages.map((st) => st.id) } : {}),
      backends: backendsFor(d),
      runbookSection: d.runbookSection,
      source: d.source,
      ...(system ? { appliesTo: why(d) ? null : system.name } : {}),
      ...(why(d) ? { notApplicable: why(d) } : {}),
    }));
    io.out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...drills.map((d) => d.id.length));
  for (const d of drills) {
    const obj = [d.objectives.rto && `RTO ${d.objectives.rto}`, d.objectives.rpo && `RPO ${d.objectives.rpo}`]
      .filter(Boolean)
      .join(', ');
    const missing = system && d.uses ? missingFields(system, d.uses) : [];
    const fit =
      missing.length && system ? `; not for ${system.name}: its config lacks ${missing.join(', ')}` : '';
    io.out.write(
      `${d.id.padEnd(width)}  ${d.kind === 'routine' ? 'routine' : `${d.quarter}     `}  ${d.title}  [${obj || (d.stages ? `stages ${d.stages.map((st) => st.id).join(', ')}, each its own objectives` : 'integrity checks only')}; backends: ${backendsFor(d).join(', ') || 'none'}${fit}]\n`,
    );
  }
  return 0;
}

/** The backends that offer everything a drill needs, in the registry's order. */
function backendsFor(d: DrillDefinition): string[] {
  return BACKENDS.filter((b) => missingCapabilities(b, d.needs).length === 0).map((b) => b.name);
}

/** Every capability any of the drills needs, each once. */
function needsOf(drills: readonly DrillDefinition[]): Capability[] {
  return [...new Set(drills.flatMap((d) => d.needs))];
}

const RUN_OPTIONS = {
  quarter: { type: 'string' },
  // The maintenance routines (kind 'routine'), which --quarter never selects.
  routines: { type: 'boolean', default: false },
  backend: { type: 'string', default: 'auto' },
  'report-dir': { type: 'string', default: 'reports' },
  keep: { type: 'boolean', default: false },
  objective: { type: 'string', multiple: true },
  runbook: { type: 'string' },
  config: { type: 'string' },
  // How many drills at once, which share of the selection this job runs (CI matrices), the RTO's resolution.
  parallel: { type: 'string', default: '1' },
  shard: { type: 'string' },
  'probe-interval': { type: 'string' },
  ...REPORT_OPTIONS,
  ...MONITORING_OPTIONS,
  ...KUBE_OPTIONS,
} as const;

export async function runCommand(argv: string[], io: Io): Promise<number> {
  // Everything is validated before anything starts: a bad flag or id starts nothing.
  const { values, positionals } = parse('run', argv, RUN_OPTIONS, true);
  checkConfig(io.env);
  checkWritableDir(values['report-dir'], '--report-dir');
  const all = await loadScenarios();
  const quarter = values.quarter;
  if (quarter !== undefined && !QUARTERS.includes(quarter as Quarter)) {
    throw new UsageError(`run: --quarter must be one of ${QUARTERS.join(', ')}, not '${quarter}'`);
  }
  for (const id of positionals) {
    if (!all.some((d) => d.id === id))
      throw new UsageError(`run: unknown drill '${id}' (known: ${all.map((d) => d.id).join(', ')})`);
  }
  let drills: DrillDefinition[] = positionals.length
    ? positionals.map((id) => all.find((d) => d.id === id) as DrillDefinition)
    : all;
  if (quarter && values.routines)
    throw new UsageError('run: --routines and --quarter exclude each other (routines have no quarter)');
  if (quarter) drills = drills.filter((d) => d.quarter === quarter && d.kind !== 'routine');
  // Q4 is the plan's full DR exercise: the composite drill that runs the plan as one timeline on one estate
  // (q4-full-exercise), not the other Q4 drills one by one (they run by id or with no --quarter).
  if (quarter === 'Q4' && drills.some((d) => d.stages)) drills = drills.filter((d) => d.stages);
  if (values.routines) drills = drills.filter((d) => d.kind === 'routine');
  if (drills.length === 0)
    throw new UsageError(
      `run: no drill matches ${values.routines ? '--routines' : `--quarter ${quarter ?? ''}`}`,
    );
  const parallel = parseParallel(values.parallel);
  const shard = values.shard !== undefined ? parseShard(values.shard) : undefined;
  const probeIntervalMs = parseProbeInterval(values['probe-interval']);
  let monitoring = monitoringSettings(values, drills, io.env);
  if (monitoring) await checkReceiverPorts(io.env);
  if (values.alerts) drills = drills.map(withAlerts);
  // A receiver's fixed port (DRILL_ALERT_SMTP_PORT, DRILL_ALERT_WEBHOOK_PORT) can serve one estate at a time.
  const fixedPort = ['DRILL_ALERT_SMTP_PORT', 'DRILL_ALERT_WEBHOOK_PORT'].find((k) => io.env[k]);
  if (parallel > 1 && fixedPort && drills.filter((d) => d.estate.monitoring).length > 1)
    throw new UsageError(
      `run: --parallel ${parallel} with ${fixedPort} set: drills with monitoring would share one receiver port (unset it, or run them one at a time)`,
    );
  const objectives = parseObjectives(values.objective ?? []);
  // An existing cluster, named twice: the run is on kube, in a namespace of its own.
  const kubeOptions = await kubeContextOptions(values, io.env);
  if (kubeOptions && values.backend === 'auto') values.backend = 'kube';
  // The system under test: the config file, validated whole before anything starts.
  const named = positionals.length > 0;
  const system = loadSystem(process.cwd(), io.env, values.config);
  // A drill that reads a `data` / `cache` field this config lacks does not apply to this system: named, it is
  // refused (exit 2); in a selection, it is left out and the run says why.
  const applicable: DrillDefinition[] = [];
  for (const d of drills) {
    const why = notApplicable(system, d.id, d.uses);
    if (!why) applicable.push(d);
    else if (named) throw new UsageError(why);
    else io.err.write(`drill: left out: ${why}\n`);
  }
  if (applicable.length === 0)
    throw new UsageError(`run: none of the chosen drills applies to ${system.name}`);
  drills = applicable;
  const runbook = values.runbook ? loadRunbook(resolve(values.runbook), values.runbook) : undefined;
  for (const d of drills) releaseOf(system, d.estate.app.version);
  // In a selection, a drill whose blocks the config's runbook lacks is left out, saying which; named, refused.
  if (!runbook && !named && system.runbook)
    drills = drills.filter((d) => {
      if (!d.runbookDoc) return true;
      try {
        checkConfiguredBlocks(d, system);
        return true;
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        io.err.write(`drill: left out: ${e.message}\n`);
        return false;
      }
    });
  if (drills.length === 0) throw new UsageError(`run: none of the chosen drills applies to ${system.name}`);
  for (const d of drills) {
    if (!runbook) {
      if (system.runbook && d.runbookDoc) checkConfiguredBlocks(d, system);
      continue;
    }
    // A runbook the drill would not read would be silently ignored: refuse it instead.
    if (!d.runbookDoc || !d.runbookBlocks?.length)
      throw new UsageError(`run: --runbook: drill ${d.id} executes no runbook block`);
    checkRunbookBlocks(d.id, runbook, d.runbookBlocks);
  }
  // The evidence file, the signing key and Chromium are checked before the backend prepares anything.
  const reportInputs = prepareReportInputs(values, io.env);
  const chosen = await chooseBackend(values.backend, io, drills, !named);
  const backend = chosen.name;
  const selected = drillsForBackend(drills, chosen, named, backendsFor);
  drills = selected.drills;
  for (const why of selected.leftOut) io.err.write(`drill: left out: ${why}\n`);
  // Drills that use the monitoring where the backend offers it (the checklist) get it now the backend is known.
  ({ drills, settings: monitoring } = await offerMonitoring(drills, chosen, values, monitoring, io.env, (l) =>
    io.err.write(`drill: ${l}\n`),
  ));
  if (shard) {
    const selected = drills.length;
    drills = shardOf(drills, shard);
    io.out.write(
      `shard ${shard.index}/${shard.count}: ${drills.length} of ${selected} drills${drills.length ? `: ${drills.map((d) => d.id).join(', ')}` : ''}\n`,
    );
    if (drills.length === 0) return 0;
  }
  const needs = needsOf(drills);
  const log = (line: string) => io.err.write(`drill: ${line}\n`);
  if (chosen.prepare) await chosen.prepare({ env: io.env, needs, log, system });
  else await requirePrerequisites(chosen, io.env, needs, kubeOptions);

  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const interactive = isInteractive(io.out, io.env);
  const onProgress = progressPrinter(io.out, interactive);
  if (interactive) io.out.write(`drill run ${runId}: ${drills.map((d) => d.id).join(', ')} on ${backend}\n`);
  // Estates are isolated by run directory, ports, names and labels: independent drills run side by side. Each
  // result line is printed whole as its drill ends; the records keep the selection's order.
  const records: DrillRecord[] = await pool(
    drills,
    parallel,
    async (def) => {
      const record = await runDrill(def, {
        runId,
        backend,
        system,
        objectives,
        keep: values.keep,
        signal: io.signal,
        onProgress,
        ...(runbook ? { runbook } : {}),
        ...(monitoring ? { monitoring } : {}),
        ...(kubeOptions ? { backendOptions: kubeOptions } : {}),
        ...(probeIntervalMs !== undefined ? { probeIntervalMs } : {}),
        ...(parallel > 1 ? { concurrency: parallel } : {}),
      });
      io.out.write(`${resultLine(record)}\n`);
      return record;
    },
    () => io.signal.aborted,
  );
  const summary = runSummary(runId, backend, startedAt, records);
  const written = await writeWithFallback(
    resolve(values['report-dir']),
    (dir) => writeReports(dir, summary, records, reportInputs),
    (line) => io.err.write(`drill: ${line}\n`),
  );
  const dir = written.dir;
  io.out.write(`report: ${dir}/report.md\n`);
  io.out.write(
    `report: ${dir}/report.html${written.draft ? ' (DRAFT: people still have to fill fields)' : ''}${written.signed ? '' : ' (unsigned)'}\n`,
  );
  if (values.pdf && !written.pdfError) io.out.write(`report: ${dir}/report.pdf\n`);
  for (const w of written.warnings) io.err.write(`drill: ${w}\n`);
  // Every estate is torn down (or kept, and then cleanup needs the records): the registry entry has served.
  if (!values.keep) forgetOwn();
  if (io.signal.aborted) return 130;
  if (written.pdfError) {
    io.err.write(`drill: report.pdf not written: ${written.pdfError}\n`);
    if (summary.status === 'passed') return 3;
  }
  return summary.status === 'passed' ? 0 : 1;
}

/** Every block a drill executes is in the config's runbook, under its own id or the one the block map names. */
export function checkConfiguredBlocks(d: DrillDefinition, system: SystemUnderTest): void {
  const doc = system.runbook;
  if (!doc) return;
  const missing = (d.runbookBlocks ?? []).filter((id) => !doc.blocks.has(id));
  if (missing.length)
    throw new UsageError(
      `${system.configFile}: runbook: drill ${d.id} needs block${missing.length > 1 ? 's' : ''} ${missing.map((m) => `id=${m}`).join(', ')}, which ${doc.path} does not have; name yours in runbook.blocks (${missing.map((m) => `${m}: <your block id>`).join(', ')})`,
    );
}

function resultLine(r: DrillRecord): string {
  const status = drillStatus(r);
  const rto = r.measurements?.rto;
  const rpo = r.measurements?.rpo;
  const stages = r.stages;
  const parts = [
    `${status.toUpperCase()} ${r.drill.id}`,
    stages
      ? `stages=${stages.filter((s) => !s.notRun && stageStatus(s) === 'passed').length}/${stages.length}-passed ${stages.map((s) => `${s.id}:${s.notRun ? 'not-run' : stageStatus(s)}`).join(',')}`
      : r.faultAt === undefined
        ? 'rto=n/a(no-fault)'
        : rto?.status === 'recovered'
          ? `rto=${formatDuration(rto.rtoMs).replace(' ', '')}${rto.outage ? '' : '(no-outage)'}`
          : 'rto=not-recovered',
    r.objectives.rtoMs !== undefined
      ? `rto_objective=${formatDuration(r.objectives.rtoMs).replace(/ /g, '')}`
      : '',
    rpo
      ? `rpo=${formatDuration(rpo.rpoMs).replace(' ', '')} acked=${rpo.ackedWrites} lost=${rpo.lostAckedWrites}`
      : '',
    `duration=${formatDuration(r.durationMs).replace(' ', '')}`,
  ].filter(Boolean);
  const why = [
    ...(r.error ? [r.error.message] : []),
    ...r.criteria.filter((c) => !c.passed).map((c) => c.message),
  ];
  return `${parts.join(' ')}${why.length ? `\n  ${why.join('\n  ')}` : ''}`;
}

/**
 * `--backend auto`: the first backend of the registry that offers what every chosen drill needs and has every
 * prerequisite they depend on; one line says which and why the ones before it were passed over. An explicit
 * backend is taken as given (its prerequisites are checked by its preparation).
 */
export async function chooseBackend(
  value: string,
  io: Io,
  drills: DrillDefinition[],
  partial = false,
): Promise<Backend> {
  const names = BACKENDS.map((b) => b.name);
  if (value !== 'auto') {
    if (!names.includes(value))
      throw new UsageError(`run: --backend must be ${['auto', ...names].join(', ')}, not '${value}'`);
    return backendNamed(value);
  }
  const needs = needsOf(drills);
  const passed: string[] = [];
  // With no drill named (`partial`), a backend that runs some of them is a candidate: the rest are left out.
  const candidates = BACKENDS.filter((b) => {
    const unmet = drills.filter((d) => missingCapabilities(b, d.needs).length).map((d) => d.id);
    if (partial ? unmet.length === drills.length : unmet.length > 0) {
      passed.push(`${b.name} not used because ${unmet.join(', ')} cannot run on it`);
      return false;
    }
    return true;
  });
  for (const b of candidates) {
    const own = partial ? needsOf(drills.filter((d) => !missingCapabilities(b, d.needs).length)) : needs;
    const prerequisites = await b.prerequisites(io.env);
    const [missing] = blocking(prerequisites, own);
    if (!missing) {
      const why = passed.length ? `: ${passed.join('; ')}` : ', every prerequisite present';
      const choices = prerequisites.filter((p) => p.choice).map((p) => `; ${p.what}: ${p.detail}`);
      io.out.write(`backend auto: ${b.name} (${b.description})${why}${choices.join('')}\n`);
      return b;
    }
    passed.push(`${b.name} not used because ${missing.what}: ${missing.detail}`);
  }
  // None can run here: the last that could run the drills says what is missing when it prepares.
  const fallback = candidates.at(-1);
  if (!fallback) throw new UsageError(`run: no backend runs all of ${drills.map((d) => d.id).join(', ')}`);
  io.out.write(
    `backend auto: no backend can run ${drills.length > 1 ? 'these drills' : 'this drill'} here (${passed.join('; ')}); trying ${fallback.name}\n`,
  );
  return fallback;
}

/**
 * `--probe-interval 20ms`: the HTTP probe's interval, the RTO's resolution. Bounded: below 5 ms the harness's
 * own load would distort what it measures, above 10 s it no longer measures a failover.
 */
export function parseProbeInterval(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text, 'run: --probe-interval');
  if (ms < 5 || ms > 10_000)
    throw new UsageError(`run: --probe-interval must be between 5ms and 10s, not '${text}'`);
  return ms;
}

/** `--objective rto=30s --objective rpo=0ms` -> { rtoMs, rpoMs } */
export function parseObjectives(items: readonly string[]): { rtoMs?: number; rpoMs?: number } {
  const out: { rtoMs?: number; rpoMs?: number } = {};
  for (const item of items) {
    const m = /^(rto|rpo)=(.+)$/.exec(item.trim());
    if (!m) throw new UsageError(`run: --objective must be rto=DURATION or rpo=DURATION, not '${item}'`);
    const ms = parseDuration(m[2] ?? '', `--objective ${m[1]}`);
    if (m[1] === 'rto') out.rtoMs = ms;
    else out.rpoMs = ms;
  }
  return out;
}

export async function doctorCommand(argv: string[], io: Io): Promise<number> {
  const doctor = parse('doctor', argv, {
    rules: { type: 'string' },
    'alertmanager-config': { type: 'string' },
    config: { type: 'string' },
  });
  // The rules against reality: a rules file's every metric looked up in a live Prometheus.
  if (!doctor.values.rules && (doctor.values.config || doctor.values['alertmanager-config']))
    throw new UsageError(
      `doctor: --${doctor.values.config ? 'config' : 'alertmanager-config'} applies to doctor --rules only`,
    );
  if (doctor.values.rules)
    return doctorRules(
      resolve(doctor.values.rules),
      doctor.values['alertmanager-config'] ? resolve(doctor.values['alertmanager-config']) : undefined,
      loadSystem(process.cwd(), io.env, doctor.values.config),
      io,
    );
  const lines: string[] = [`ok    node ${process.version}`];
  const verdicts: string[] = [];
  let usable = 0;
  for (const b of BACKENDS) {
    const found = await b.prerequisites(io.env);
    lines.push('', `backend ${b.name} (${b.description}):`);
    for (const p of found) {
      const only = p.onlyFor ? ` (only drills that need ${p.onlyFor})` : '';
      lines.push(
        p.ok
          ? `ok    ${p.what}: ${p.detail}`
          : `MISS  ${p.what}: ${p.detail}${only}${p.remedy ? `: ${p.remedy}` : ''}`,
      );
    }
    const missing = blocking(found, []);
    if (!missing.length) usable++;
    const partly = found.filter((p) => !p.ok && p.onlyFor).map((p) => p.onlyFor);
    verdicts.push(
      `backend ${b.name}: ${
        missing.length
          ? 'cannot run here (see MISS above)'
          : partly.length
            ? `can run here, except drills that need ${partly.join(', ')}`
            : 'can run here'
      }`,
    );
  }
  io.out.write(`${[...lines, '', ...verdicts].join('\n')}\n`);
  return usable ? 0 : 3;
}

/** `drill cleanup`: see cleanup.ts (ownership is proven before anything is killed). */
export function cleanupCommand(argv: string[], io: Io): Promise<number> {
  return cleanup(argv, io);
}
