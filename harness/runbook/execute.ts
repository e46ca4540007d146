import { run } from '../core/exec.ts';
import { StepError } from '../core/errors.ts';
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
 * Run one runbook block with bash in strict mode (set -euo pipefail). Values reach it only through the
 * environment, never by substitution into the script text, so a value cannot change what the script does.
 * An ERR trap reports the failing line, mapped back to the markdown file. The trap is put on the script's
 * first line, so bash's $LINENO counts the block's own lines.
 */
export async function runBlock(
  block: RunbookBlock,
  opts: {
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    uid?: number;
    gid?: number;
    cwd?: string;
    secrets: readonly string[];
    signal?: AbortSignal;
  },
): Promise<BlockRun> {
  const script = `trap 'echo "${FAILED_MARK}$LINENO" >&2' ERR; ${block.code}\n`;
  const res = await run(
    'bash',
    ['--noprofile', '--norc', '-E', '-o', 'errexit', '-o', 'nounset', '-o', 'pipefail', '-c', script],
    {
      env: opts.env,
      timeoutMs: opts.timeoutMs,
      check: false,
      signal: opts.signal,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    },
  );
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
