import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadSystem } from '../harness/config/load.ts';
import type { SystemUnderTest } from '../harness/config/system.ts';
import type { RunSummary } from '../harness/report/summary.ts';
import { readRegistry } from '../harness/estate/host/registry.ts';

export const ROOT = join(import.meta.dirname, '..');

/** The system the project's own config describes (the demo app), for drills run in-process. */
export const projectSystem = (): SystemUnderTest => loadSystem(ROOT, {});

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run `drill ...` the way a user does (bin/drill.js in a child process). */
export function drill(
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void;
    /** The CLI's process, as soon as it is spawned (to signal it). */
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
    /**
     * Resolve when the CLI exits rather than when its output pipes close: the processes of an estate kept with
     * `--keep` inherit them and hold them open.
     */
    untilExit?: boolean;
  } = {},
): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'drill.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    opts.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      opts.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
    if (opts.untilExit)
      child.on('exit', (code) => {
        // What the CLI wrote before exiting is in the pipe already: let it be read, then stop waiting for it.
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          resolve({ code, stdout, stderr, ms: performance.now() - started });
        }, 300);
      });
  });
}

/**
 * Run `drill ...` with its progress lines and send it `sig` at the first moment its output matches `at` (an
 * interrupt at a known point of a drill, as a user's Ctrl-C); the result, the run's id and whether it was sent.
 */
export async function interruptedAt(
  args: string[],
  at: RegExp,
  sig: NodeJS.Signals = 'SIGINT',
): Promise<{ res: CliResult; runId: string | undefined; signalled: boolean }> {
  let runId: string | undefined;
  let signalled = false;
  const res = await drill(args, {
    env: { DRILL_PROGRESS: '1' },
    onStdout(out, child) {
      runId ??= /drill run (\S+):/.exec(out)?.[1];
      if (!signalled && at.test(out)) {
        signalled = true;
        child.kill(sig);
      }
    },
  });
  return { res, runId, signalled };
}

/**
 * Run the CLI with a temporary directory of its own (TMPDIR), and say what it left there: a command that must
 * start nothing must leave it empty. Its own directory, so that other runs on the machine cannot be mistaken for
 * it.
 */
export async function drillInOwnTmp(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult & { created: string[] }> {
  const tmp = mkdtempSync(join(tmpdir(), 'drill-own-tmp-'));
  try {
    const res = await drill(args, { env: { ...env, TMPDIR: tmp } });
    // tsx keeps its compile cache there (tsx-<uid>): the loader's, not the drill's.
    return { ...res, created: readdirSync(tmp).filter((n) => !/^tsx-\d+$/.test(n)) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function tempReportDir(): string {
  return mkdtempSync(join(tmpdir(), 'drill-reports-'));
}

/** The run directory the CLI printed (`report: <dir>/report.md`). */
export function reportDirOf(stdout: string): string {
  const m = /^report: (.+)\/report\.md$/m.exec(stdout);
  if (!m?.[1]) throw new Error(`no report line in:\n${stdout}`);
  return m[1];
}

export function readSummary(runDir: string): RunSummary {
  return JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
}

/**
 * `drill run ARGS` into a fresh report directory: the CLI's result, the run directory it printed and its summary.
 * Asserts nothing of the outcome (callers do, each as its drill needs); a run that wrote no report fails with the
 * exit code and everything the CLI printed.
 */
/**
 * The registry files (`/tmp/drillbook-<uid>/runs`) that still name `runId`: none once a command that kept nothing
 * has exited; a kept estate's stays until `drill cleanup` has used it.
 */
export function registryFilesOf(runId: string): string[] {
  return readRegistry(() => undefined)
    .filter((e) => e.runs.some((r) => r.runId === runId))
    .map((e) => basename(e.file));
}

export async function runDrills(
  args: string[],
): Promise<{ res: CliResult; dir: string; summary: RunSummary }> {
  const res = await drill(['run', ...args, '--report-dir', tempReportDir()]);
  if (!/^report: .+\/report\.md$/m.test(res.stdout))
    throw new Error(`drill run ${args.join(' ')}: exit ${res.code}, no report:\n${res.stdout}${res.stderr}`);
  const dir = reportDirOf(res.stdout);
  const summary = readSummary(dir);
  const left = args.includes('--keep') ? [] : registryFilesOf(summary.runId);
  if (left.length)
    throw new Error(`drill run ${args.join(' ')} kept nothing but left registry files: ${left.join(', ')}`);
  return { res, dir, summary };
}
