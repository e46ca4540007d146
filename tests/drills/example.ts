/**
 * examples/inventory, the second system drillbook is tested against: where it is, what running it needs, and
 * copies of it with a changed config, for the own-system tests of every backend.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseDocument } from 'yaml';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import type { RunSummary } from '../../harness/report/summary.ts';
import { drill, readSummary, reportDirOf, ROOT, tempReportDir, type CliResult } from '../cli.ts';
import { leftOnDocker, skipWithoutDocker } from '../docker.ts';

export const EXAMPLE = join(ROOT, 'examples', 'inventory');
export const CONFIG = join(EXAMPLE, 'drillbook.config.yaml');

/**
 * Whether the example's local drills are skipped: it runs on Debian's python3 with psycopg2. Under CI a missing
 * package fails the file (CI installs it); elsewhere the skip says how to get it.
 */
export function skipWithoutPython(what: string): boolean {
  if (existsSync('/usr/lib/python3/dist-packages/psycopg2/__init__.py')) return false;
  const missing = 'python3-psycopg2 is not installed (apt-get install python3-psycopg2)';
  if (process.env.CI) throw new Error(`CI must install it: ${missing}`);
  console.warn(`skipping ${what}: ${missing}`);
  return true;
}

/** Whether the example's docker drills are skipped: they need an engine, the images and docker-compose. */
export function skipWithoutCompose(what: string): Promise<boolean> {
  return skipWithoutDocker(what, () => {
    try {
      execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
      return Promise.resolve(undefined);
    } catch {
      return Promise.resolve('docker-compose is not installed (apt-get install docker-compose)');
    }
  });
}

/** A copy of the example; without its config, it is the user's repository before `drill init`. */
export function exampleCopy(opts: { withConfig: boolean } = { withConfig: true }): string {
  const dir = mkdtempSync(join(tmpdir(), 'drill-own-'));
  cpSync(EXAMPLE, dir, { recursive: true });
  if (!opts.withConfig) rmSync(join(dir, 'drillbook.config.yaml'));
  return dir;
}

/** The example's config with one change, in a copy of the example; returns the config's path. */
export function exampleWith(edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const path = join(exampleCopy(), 'drillbook.config.yaml');
  const doc = parseDocument(readFileSync(path, 'utf8'));
  edit(doc);
  writeFileSync(path, doc.toString());
  return path;
}

/** The run directories a run left in the temporary directory. */
export function runDirsOf(runId: string): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`drillbook-${runId}`));
}

/**
 * Step 2 of the example's walkthrough: `drill init --compose docker-compose.yml` run in a copy of the example
 * without its config (the user's repository). Returns the copy, the written config's path, and init's result.
 */
export async function initFromCompose(): Promise<{
  repo: string;
  path: string;
  init: { code: number; stdout: string; stderr: string };
}> {
  const repo = exampleCopy({ withConfig: false });
  const init = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'drill.js'), 'init', '--compose', 'docker-compose.yml'],
      { cwd: repo },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
  return { repo, path: join(repo, 'drillbook.config.yaml'), init };
}

/** The app's database setting, as a template of the run's values (what the walkthrough tells the user to write). */
export const INVENTORY_DSN =
  'host={{dbHost}} port={{dbPort}} user={{dbUser}} password={{dbPassword}} dbname={{dbName}}';

/**
 * Step 3's edits every backend needs (each on a line `drill init` marked EDIT; the README lists them): the
 * release, the health path, the canary through the app's write API, and the runbook's Q1 blocks.
 */
export function walkthroughEdits(doc: ReturnType<typeof parseDocument>): void {
  doc.setIn(['system', 'releases'], { v1: { env: { RELEASE: 'v1' } } });
  doc.setIn(['health'], { path: '/healthz', status: 200, bodyIncludes: 'healthy', interval: '100ms' });
  doc.setIn(['canary'], {
    through: 'app',
    rate: 10,
    method: 'POST',
    path: '/api/stock',
    body: { sku: 'canary', amount: 1, probe_run: '{{runId}}', probe_seq: '{{seq}}' },
    committed: [201],
    readBack: 'SELECT probe_seq::text AS seq FROM stock_movements WHERE probe_run = $1',
  });
  doc.setIn(['runbook', 'blocks'], {
    'failover-confirm-down': 'db-is-down',
    'failover-fence': 'stonith-primary',
    'failover-promote': 'promote-replica',
    'failover-repoint': 'move-db-vip',
    'failover-verify': 'check-writes',
  });
}

/** A run of the example's drills: the CLI's result, its report directory and summary, and a drill's record. */
export interface ExampleRun {
  res: CliResult;
  dir: string;
  summary: RunSummary;
  record(id: string): DrillRecord;
}

/** `drill run IDS --backend B --config CONFIG` into a report directory of its own, read back. */
export async function runExample(
  ids: readonly string[],
  backend: 'local' | 'docker',
  config: string = CONFIG,
): Promise<ExampleRun> {
  const res = await drill([
    'run',
    ...ids,
    '--backend',
    backend,
    '--config',
    config,
    '--report-dir',
    tempReportDir(),
  ]);
  const dir = reportDirOf(res.stdout);
  return {
    res,
    dir,
    summary: readSummary(dir),
    record: (id) => JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as DrillRecord,
  };
}

/** One line per drill with what it measured, for the test log (the figures quoted in closing notes). */
export function logMeasured(run: ExampleRun, where: string): void {
  for (const d of run.summary.drills)
    console.log(
      `inventory ${d.id} (${where}): ${d.status} rto=${d.measured.rtoMs} ms rpo=${d.measured.rpoMs} ms acked=${d.measured.ackedWrites} lost=${d.measured.lostAckedWrites}`,
    );
}

/** Nothing of the run is left: no process, no run directory, and on docker no container, network or volume. */
export function expectNothingLeft(runId: string, backend: 'local' | 'docker'): void {
  expect(labelledProcesses(runId)).toEqual([]);
  expect(runDirsOf(runId)).toEqual([]);
  if (backend === 'docker') expect(leftOnDocker(runId)).toEqual([]);
}

/**
 * A drill of `run` stopped by a config mistake before its fault: it failed in `phase`, the teardown found no
 * leak, and nothing of the run is left.
 */
export function expectStoppedBefore(
  run: ExampleRun,
  id: string,
  phase: string,
  backend: 'local' | 'docker',
): void {
  expect(run.res.code).toBe(1);
  const record = run.record(id);
  expect(record.faultAt).toBeUndefined();
  expect(record.error?.phase).toBe(phase);
  expect(record.teardown.leaks).toEqual([]);
  expectNothingLeft(run.summary.runId, backend);
}
