import { resolve } from 'node:path';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { isAlive, killProcessGroup } from '../core/exec.ts';
import { newRunId } from '../core/session.ts';
import { poll } from '../core/poll.ts';
import { checkRunbookBlocks, type DrillDefinition } from '../drill/define.ts';
import { loadRunbook } from '../runbook/markdown.ts';
import { drillStatus, QUARTERS, type DrillRecord, type Quarter } from '../record/record.ts';
import { runDrill } from '../drill/runner.ts';
import {
  blocking,
  missingCapabilities,
  requirePrerequisites,
  type Backend,
  type Capability,
} from '../estate/backend.ts';
import { labelledProcesses } from '../estate/host/leaks.ts';
import { findRunDirs, removeRunDir } from '../estate/host/run-dir.ts';
import { BACKENDS, backendNamed } from '../estate/registry.ts';
import { runSummary } from '../report/summary.ts';
import { writeReports } from '../report/write.ts';
import { loadScenarios } from '../../scenarios/index.ts';
import { parse } from '../core/args.ts';
import { isInteractive, progressPrinter } from './progress.ts';
import { prepareReportInputs, REPORT_OPTIONS } from './report-commands.ts';
import type { Io } from './io.ts';
import { doctorRules } from './doctor-rules.ts';
import {
  checkReceiverPorts,
  MONITORING_OPTIONS,
  monitoringSettings,
  withAlerts,
} from './monitoring-options.ts';

export async function listCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse('list', argv, { json: { type: 'boolean' } });
  const drills = await loadScenarios();
  if (values.json) {
    const rows = drills.map((d) => ({
      id: d.id,
      title: d.title,
      quarter: d.quarter,
      objectives: {
        ...(d.objectives.rto ? { rtoMs: parseDuration(d.objectives.rto) } : {}),
        ...(d.objectives.rpo ? { rpoMs: parseDuration(d.objectives.rpo) } : {}),
      },
      needs: d.needs,
      backends: backendsFor(d),
      runbookSection: d.runbookSection,
      source: d.source,
    }));
    io.out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...drills.map((d) => d.id.length));
  for (const d of drills) {
    const obj = [d.objectives.rto && `RTO ${d.objectives.rto}`, d.objectives.rpo && `RPO ${d.objectives.rpo}`]
      .filter(Boolean)
      .join(', ');
    io.out.write(
      `${d.id.padEnd(width)}  ${d.quarter}  ${d.title}  [${obj || 'integrity checks only'}; backends: ${backendsFor(d).join(', ') || 'none'}]\n`,
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
  backend: { type: 'string', default: 'auto' },
  'report-dir': { type: 'string', default: 'reports' },
  keep: { type: 'boolean', default: false },
  objective: { type: 'string', multiple: true },
  runbook: { type: 'string' },
  ...REPORT_OPTIONS,
  ...MONITORING_OPTIONS,
} as const;

export async function runCommand(argv: string[], io: Io): Promise<number> {
  // Everything is validated before anything starts: a bad flag or id starts nothing.
  const { values, positionals } = parse('run', argv, RUN_OPTIONS, true);
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
  if (quarter) drills = drills.filter((d) => d.quarter === quarter);
  if (drills.length === 0) throw new UsageError(`run: no drill matches --quarter ${quarter ?? ''}`);
  const monitoring = monitoringSettings(values, drills, io.env);
  if (monitoring) await checkReceiverPorts(io.env);
  if (values.alerts) drills = drills.map(withAlerts);
  const objectives = parseObjectives(values.objective ?? []);
  const runbook = values.runbook ? loadRunbook(resolve(values.runbook), values.runbook) : undefined;
  for (const d of drills) {
    if (!runbook) break;
    // A runbook the drill would not read would be silently ignored: refuse it instead.
    if (!d.runbookDoc || !d.runbookBlocks?.length)
      throw new UsageError(`run: --runbook: drill ${d.id} executes no runbook block`);
    checkRunbookBlocks(d.id, runbook, d.runbookBlocks);
  }
  const chosen = await chooseBackend(values.backend, io, drills);
  const backend = chosen.name;
  for (const d of drills) {
    const missing = missingCapabilities(chosen, d.needs);
    if (missing.length)
      throw new UsageError(
        `run: ${d.id} does not run on the ${backend} backend (it needs ${missing.join(', ')}; runs on ${backendsFor(d).join(', ') || 'no backend'})`,
      );
  }
  const needs = needsOf(drills);
  const log = (line: string) => io.err.write(`drill: ${line}\n`);
  if (chosen.prepare) await chosen.prepare({ env: io.env, needs, log });
  else await requirePrerequisites(chosen, io.env, needs);
  const reportInputs = prepareReportInputs(values, io.env);

  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const interactive = isInteractive(io.out, io.env);
  const onProgress = progressPrinter(io.out, interactive);
  if (interactive) io.out.write(`drill run ${runId}: ${drills.map((d) => d.id).join(', ')} on ${backend}\n`);
  const records: DrillRecord[] = [];
  for (const def of drills) {
    if (io.signal.aborted) break;
    const record = await runDrill(def, {
      runId,
      backend,
      objectives,
      keep: values.keep,
      signal: io.signal,
      onProgress,
      ...(runbook ? { runbook } : {}),
      ...(monitoring ? { monitoring } : {}),
    });
    records.push(record);
    io.out.write(`${resultLine(record)}\n`);
  }
  const summary = runSummary(runId, backend, startedAt, records);
  const written = await writeReports(resolve(values['report-dir']), summary, records, reportInputs);
  const dir = written.dir;
  io.out.write(`report: ${dir}/report.md\n`);
  io.out.write(
    `report: ${dir}/report.html${written.draft ? ' (DRAFT: people still have to fill fields)' : ''}${written.signed ? '' : ' (unsigned)'}\n`,
  );
  if (values.pdf && !written.pdfError) io.out.write(`report: ${dir}/report.pdf\n`);
  for (const w of written.warnings) io.err.write(`drill: ${w}\n`);
  if (io.signal.aborted) return 130;
  if (written.pdfError) {
    io.err.write(`drill: report.pdf not written: ${written.pdfError}\n`);
    if (summary.status === 'passed') return 3;
  }
  return summary.status === 'passed' ? 0 : 1;
}

function resultLine(r: DrillRecord): string {
  const status = drillStatus(r);
  const rto = r.measurements?.rto;
  const rpo = r.measurements?.rpo;
  const parts = [
    `${status.toUpperCase()} ${r.drill.id}`,
    r.faultAt === undefined
      ? 'rto=n/a(no-fault)'
      : rto?.status === 'recovered'
        ? `rto=${formatDuration(rto.rtoMs).replace(' ', '')}`
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
async function chooseBackend(value: string, io: Io, drills: DrillDefinition[]): Promise<Backend> {
  const names = BACKENDS.map((b) => b.name);
  if (value !== 'auto') {
    if (!names.includes(value))
      throw new UsageError(`run: --backend must be ${['auto', ...names].join(', ')}, not '${value}'`);
    return backendNamed(value);
  }
  const needs = needsOf(drills);
  const passed: string[] = [];
  const candidates = BACKENDS.filter((b) => {
    const unmet = drills.filter((d) => missingCapabilities(b, d.needs).length).map((d) => d.id);
    if (unmet.length) passed.push(`${b.name} not used because ${unmet.join(', ')} cannot run on it`);
    return unmet.length === 0;
  });
  for (const b of candidates) {
    const [missing] = blocking(await b.prerequisites(io.env), needs);
    if (!missing) {
      const why = passed.length ? `: ${passed.join('; ')}` : ', every prerequisite present';
      io.out.write(`backend auto: ${b.name} (${b.description})${why}\n`);
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
  });
  // The rules against reality: a rules file's every metric looked up in a live Prometheus.
  if (doctor.values.rules)
    return doctorRules(
      resolve(doctor.values.rules),
      doctor.values['alertmanager-config'] ? resolve(doctor.values['alertmanager-config']) : undefined,
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

/**
 * Remove what a killed run left: processes labelled with a run id (DRILL_RUN_ID), run directories with a
 * drillbook marker, and what each backend sweeps of its own (docker: containers, networks and volumes
 * labelled drillbook.run-id). An estate whose harness is still running is left alone unless --force.
 */
export async function cleanupCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse('cleanup', argv, {
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    run: { type: 'string' },
  });
  const dirs = findRunDirs().filter((d) => !values.run || d.marker.runId === values.run);
  const procs = labelledProcesses(values.run);
  const active = new Set(
    dirs
      .filter((d) => !d.marker.kept && isAlive(d.marker.harnessPid) && d.marker.harnessPid !== process.pid)
      .map((d) => d.marker.runId),
  );
  let removed = 0;
  for (const p of procs) {
    if (active.has(p.runId) && !values.force) continue;
    io.out.write(`${values['dry-run'] ? 'would kill' : 'kill'} process ${p.pid} (run ${p.runId})\n`);
    if (!values['dry-run']) {
      killProcessGroup(p.pid, 'SIGKILL');
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removed++;
  }
  for (const d of dirs) {
    if (active.has(d.marker.runId) && !values.force) {
      io.out.write(
        `skip ${d.dir}: its run is still in progress (pid ${d.marker.harnessPid}); --force to remove anyway\n`,
      );
      continue;
    }
    io.out.write(
      `${values['dry-run'] ? 'would remove' : 'remove'} ${d.dir} (run ${d.marker.runId}, ${d.marker.drillId}${d.marker.kept ? ', kept' : ''})\n`,
    );
    if (!values['dry-run']) removeRunDir(d.dir);
    removed++;
  }
  if (!values['dry-run'] && procs.length) {
    // SIGKILL is not instant: wait until no process of those runs is left before saying we are done.
    const swept = new Set(procs.filter((p) => values.force || !active.has(p.runId)).map((p) => p.runId));
    await poll(() => !labelledProcesses().some((p) => swept.has(p.runId)) || undefined, {
      subject: 'killed processes to exit',
      timeoutMs: 10_000,
      intervalMs: 50,
    });
  }
  for (const b of BACKENDS) {
    removed +=
      (await b.sweep?.({
        ...(values.run ? { runId: values.run } : {}),
        dryRun: Boolean(values['dry-run']),
        force: Boolean(values.force),
        active,
        log: (line) => io.out.write(`${line}\n`),
      })) ?? 0;
  }
  if (removed === 0) io.out.write('nothing to clean up\n');
  return 0;
}
