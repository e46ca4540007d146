import { resolve } from 'node:path';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { describe, UsageError } from '../core/errors.ts';
import { isAlive, killProcessGroup } from '../core/exec.ts';
import { newRunId } from '../core/session.ts';
import { poll } from '../core/poll.ts';
import { checkRunbookBlocks, type DrillDefinition } from '../drill/define.ts';
import { loadRunbook } from '../runbook/markdown.ts';
import { drillStatus, QUARTERS, type DrillRecord, type Quarter } from '../record/record.ts';
import { runDrill } from '../drill/runner.ts';
import {
  findPgBinDir,
  findRedisServer,
  requirePgBinDir,
  unprivilegedUser,
} from '../estate/local/binaries.ts';
import { labelledProcesses } from '../estate/local/leaks.ts';
import { findRunDirs, removeRunDir } from '../estate/local/run-dir.ts';
import type { BackendName } from '../estate/types.ts';
import { runSummary } from '../report/summary.ts';
import { writeReports } from '../report/write.ts';
import { loadScenarios } from '../../scenarios/index.ts';
import { parse } from './args.ts';
import { isInteractive, progressPrinter } from './progress.ts';
import { prepareReportInputs, REPORT_OPTIONS } from './report-commands.ts';

export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT / SIGTERM. */
  signal: AbortSignal;
}

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
      backends: d.backends,
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
      `${d.id.padEnd(width)}  ${d.quarter}  ${d.title}  [${obj || 'integrity checks only'}; backends: ${d.backends.join(', ')}]\n`,
    );
  }
  return 0;
}

const RUN_OPTIONS = {
  quarter: { type: 'string' },
  backend: { type: 'string', default: 'auto' },
  'report-dir': { type: 'string', default: 'reports' },
  keep: { type: 'boolean', default: false },
  objective: { type: 'string', multiple: true },
  runbook: { type: 'string' },
  ...REPORT_OPTIONS,
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
  const objectives = parseObjectives(values.objective ?? []);
  const backend = await chooseBackend(values.backend, io, drills);
  for (const d of drills) {
    if (!d.backends.includes(backend))
      throw new UsageError(`run: ${d.id} does not run on the ${backend} backend`);
  }
  const runbook = values.runbook ? loadRunbook(resolve(values.runbook), values.runbook) : undefined;
  for (const d of drills) {
    if (runbook && d.runbookDoc) checkRunbookBlocks(d.id, runbook, d.runbookBlocks ?? []);
  }
  if (backend === 'local') requirePgBinDir(io.env);
  else await prepareDocker(io);
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
 * `--backend auto`: docker when an engine answers and its images are there (and every chosen drill runs on
 * docker), else local; one line says which and why. An explicit backend is taken as given.
 */
async function chooseBackend(value: string, io: Io, drills: DrillDefinition[]): Promise<BackendName> {
  if (value === 'local' || value === 'docker') return value;
  if (value !== 'auto') throw new UsageError(`run: --backend must be auto, local or docker, not '${value}'`);
  const { dockerProblem } = await import('../estate/docker/docker-backend.ts');
  const notOnDocker = drills.filter((d) => !d.backends.includes('docker')).map((d) => d.id);
  const problem = notOnDocker.length
    ? `${notOnDocker.join(', ')} ${notOnDocker.length > 1 ? 'run' : 'runs'} on local only`
    : await dockerProblem(io.env);
  const backend: BackendName = problem ? 'local' : 'docker';
  const why = problem
    ? `local (processes on 127.0.0.1): docker not used because ${problem}`
    : 'docker (engine reachable, images present)';
  io.out.write(`backend auto: ${why}\n`);
  return backend;
}

/** Before docker drills start: the engine answers, the role images exist, the app images match the sources. */
async function prepareDocker(io: Io): Promise<void> {
  const { requireEngine } = await import('../estate/docker/engine.ts');
  const { dockerImages } = await import('../estate/docker/docker-backend.ts');
  const { ensureAppImages } = await import('../estate/docker/build.ts');
  const d = await requireEngine();
  const images = await dockerImages(io.env);
  const built = await ensureAppImages(d, images, () => undefined);
  for (const b of built.filter((r) => r.action === 'built'))
    io.err.write(`drill: rebuilt ${b.image} (the app's sources changed since it was built)\n`);
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
  parse('doctor', argv, {});
  const lines: string[] = [];
  const pg = findPgBinDir(io.env);
  lines.push(
    pg
      ? `ok    PostgreSQL server binaries: ${pg}`
      : 'MISS  PostgreSQL server binaries: apt-get install postgresql (or set DRILL_PG_BINDIR)',
  );
  let pgUser = 'yourself';
  try {
    pgUser = unprivilegedUser(io.env)?.name ?? 'yourself';
    lines.push(`ok    Postgres runs as: ${pgUser}`);
  } catch (e) {
    lines.push(`MISS  ${describe(e)}`);
  }
  const redis = findRedisServer(io.env);
  lines.push(
    redis
      ? `ok    redis-server: ${redis}`
      : 'MISS  redis-server (only drills whose estate has Redis): apt-get install redis-server',
  );
  lines.push(`ok    node ${process.version}`);
  const local = Boolean(pg) && pgUser !== '';
  const docker = await dockerDoctor(io, lines);
  lines.push('', `backend local: ${local ? 'can run here' : 'cannot run here (see MISS above)'}`);
  lines.push(`backend docker: ${docker ? 'can run here' : 'cannot run here (see MISS above)'}`);
  lines.push('backend kind: not in this version');
  io.out.write(`${lines.join('\n')}\n`);
  return local || docker ? 0 : 3;
}

/** The docker backend's part of `drill doctor`: engine, reaper, and each role's image. */
async function dockerDoctor(io: Io, lines: string[]): Promise<boolean> {
  const { engineProblem, inspectImage, dockerode, RYUK_IMAGE } = await import('../estate/docker/engine.ts');
  const { dockerImages } = await import('../estate/docker/docker-backend.ts');
  const { appImagesProblem } = await import('../estate/docker/build.ts');
  const problem = await engineProblem();
  if (problem) {
    lines.push(`MISS  ${problem}: apt-get install docker.io and start dockerd`);
    return false;
  }
  const d = await dockerode();
  const v = await d.version();
  lines.push(`ok    Docker engine ${v.Version} (API ${v.ApiVersion})`);
  lines.push(
    (await inspectImage(d, RYUK_IMAGE))
      ? `ok    testcontainers reaper ${RYUK_IMAGE} present (used unless TESTCONTAINERS_RYUK_DISABLED=true)`
      : 'ok    testcontainers reaper absent: run-id labels and `drill cleanup` sweep instead',
  );
  const images = await dockerImages(io.env);
  let ok = true;
  for (const role of ['postgres', 'redis', 'node'] as const) {
    const have = await inspectImage(d, images[role]);
    ok &&= Boolean(have);
    lines.push(
      have
        ? `ok    ${role} image ${images[role]}`
        : `MISS  ${role} image ${images[role]}: npx drill images build (offline) or docker pull`,
    );
  }
  const app = await appImagesProblem(d, images);
  lines.push(
    app ? `MISS  app images: ${app}: npx drill images build` : `ok    app images ${images.app}:<release>`,
  );
  return ok && !app;
}

/**
 * Remove what a killed run left: processes labelled with a run id (DRILL_RUN_ID), run directories with a
 * drillbook marker, and Docker containers, networks and volumes labelled drillbook.run-id. An estate whose harness is still running is left alone unless --force.
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
  removed += await cleanupDocker(io, values, active);
  if (removed === 0) io.out.write('nothing to clean up\n');
  return 0;
}

/** Containers, networks and volumes labelled with a run id whose run is over (or any, with --force). */
async function cleanupDocker(
  io: Io,
  values: { 'dry-run'?: boolean | undefined; force?: boolean | undefined; run?: string | undefined },
  active: Set<string>,
): Promise<number> {
  const { engineProblem, dockerode, labelledResources, sweep } = await import('../estate/docker/engine.ts');
  if (await engineProblem(2000)) return 0;
  const d = await dockerode();
  const found = await labelledResources(d, values.run);
  const runs = new Set(
    [...found.containers, ...found.networks, ...found.volumes].map((r) => r.runId).filter((id) => id !== '?'),
  );
  let removed = 0;
  for (const runId of runs) {
    const items = [
      ...found.containers.filter((c) => c.runId === runId).map((c) => `container ${c.name}`),
      ...found.networks.filter((n) => n.runId === runId).map((n) => `network ${n.name}`),
      ...found.volumes.filter((v) => v.runId === runId).map((v) => `volume ${v.name}`),
    ];
    if (active.has(runId) && !values.force) {
      io.out.write(
        `skip ${items.length} docker resources of run ${runId}: still in progress; --force to remove\n`,
      );
      continue;
    }
    if (values['dry-run']) for (const i of items) io.out.write(`would remove ${i} (run ${runId})\n`);
    else for (const i of await sweep(d, [runId])) io.out.write(`remove ${i} (run ${runId})\n`);
    removed += items.length;
  }
  return removed;
}
