import { run } from '../core/exec.ts';
import { StepError } from '../core/errors.ts';
import type { RunbookShell, ShellSite } from '../estate/types.ts';
import type { RunbookBlock } from './markdown.ts';
import { redact } from './markdown.ts';

export interface BlockRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** The markdown line of the command that failed (from bash's ERR trap), when one did. */
  failedLine?: number;
}

const FAILED_MARK = 'drillbook-failed-line=';

/**
 * Where a block runs: blocks marked as=postgres where the database lives (as its OS account), others on the
 * harness's host.
 */
export function siteFor(shell: RunbookShell, block: RunbookBlock): ShellSite {
  return block.runAs === 'postgres' ? shell.database : shell.host;
}

/**
 * Run one runbook block with bash in strict mode (set -euo pipefail). Values reach it only through the
 * environment, never by substitution into the script text, so a value cannot change what the script does.
 * An ERR trap reports the failing line, mapped back to the markdown file. The trap is put on the script's
 * first line, so bash's $LINENO counts the block's own lines.
 */
export async function runBlock(
  block: RunbookBlock,
  opts: {
    /** The block's whole environment (normally the site's env plus values of the drill). */
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    secrets: readonly string[];
    signal?: AbortSignal;
    /** Where it runs (`siteFor`); default: bash on this machine as the harness's account. */
    site?: Pick<ShellSite, 'launch'>;
  },
): Promise<BlockRun> {
  const script = `trap 'echo "${FAILED_MARK}$LINENO" >&2' ERR; ${block.code}\n`;
  const bashArgs = [
    '--noprofile',
    '--norc',
    '-E',
    '-o',
    'errexit',
    '-o',
    'nounset',
    '-o',
    'pipefail',
    '-c',
    script,
  ];
  const launch = opts.site?.launch(bashArgs, opts.env) ?? { command: 'bash', args: bashArgs, env: opts.env };
  const res = await run(launch.command, launch.args, {
    timeoutMs: opts.timeoutMs,
    check: false,
    signal: opts.signal,
    env: launch.env,
    ...(launch.cwd ? { cwd: launch.cwd } : {}),
    ...(launch.uid !== undefined ? { uid: launch.uid } : {}),
    ...(launch.gid !== undefined ? { gid: launch.gid } : {}),
  });
  const marks = [...res.stderr.matchAll(new RegExp(`${FAILED_MARK}(\\d+)`, 'g'))];
  const lineInBlock = marks.length ? Number(marks[0]?.[1]) : undefined;
  return {
    exitCode: res.exitCode,
    stdout: redact(res.stdout, opts.secrets),
    stderr: redact(res.stderr.replace(new RegExp(`^${FAILED_MARK}\\d+\\n?`, 'gm'), ''), opts.secrets),
    durationMs: res.durationMs,
    timedOut: res.timedOut,
    ...(lineInBlock !== undefined ? { failedLine: block.line + lineInBlock } : {}),
  };
}

/** What a block's run must show to count as success, besides exit code 0. */
export interface BlockExpectation {
  /** stdout must match (a RegExp) or contain (a string). */
  stdout?: RegExp | string;
}

/** Throws a StepError naming the file and line when the run failed or missed its expectation. */
export function judgeBlock(
  block: RunbookBlock,
  path: string,
  r: BlockRun,
  expect: BlockExpectation = {},
): void {
  const where = `${path}#L${r.failedLine ?? block.line}`;
  const tail = (s: string) => s.trim().split('\n').slice(-3).join(' | ');
  if (r.timedOut) throw new StepError(`runbook block '${block.id}' (${where}) timed out: ${tail(r.stderr)}`);
  if (r.exitCode !== 0) {
    throw new StepError(
      `runbook block '${block.id}' failed at ${where} (exit ${r.exitCode ?? 'signal'}): ${tail(r.stderr) || tail(r.stdout)}`,
    );
  }
  const want = expect.stdout;
  if (want !== undefined && !(typeof want === 'string' ? r.stdout.includes(want) : want.test(r.stdout))) {
    throw new StepError(
      `runbook block '${block.id}' (${path}#L${block.line}) output did not match ${String(want)}: ${tail(r.stdout)}`,
    );
  }
}
