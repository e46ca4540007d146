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

/** Where a block runs instead of the host: a container, as one of its accounts, in one of its directories. */
export interface ContainerExec {
  container: string;
  user: string;
  cwd: string;
}

/**
 * `docker exec` of bash inside a container. Values still travel only through the environment: each is passed
 * by name (`-e NAME`, so the docker CLI takes it from its own environment and no secret is on a command line),
 * except PATH and HOME, which the CLI itself needs from the host and which are therefore given explicitly.
 */
export function inContainer(
  exec: ContainerExec,
  bashArgs: string[],
  env: NodeJS.ProcessEnv,
): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const explicit = new Set(['PATH', 'HOME']);
  const names = Object.keys(env).filter((k) => env[k] !== undefined);
  const flags = names.flatMap((k) => ['-e', explicit.has(k) ? `${k}=${env[k] ?? ''}` : k]);
  const cli: NodeJS.ProcessEnv = { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const k of ['HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT'])
    if (process.env[k] !== undefined) cli[k] = process.env[k];
  return {
    command: 'docker',
    args: ['exec', '-u', exec.user, '-w', exec.cwd, ...flags, exec.container, 'bash', ...bashArgs],
    env: cli,
  };
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
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    uid?: number;
    gid?: number;
    cwd?: string;
    secrets: readonly string[];
    signal?: AbortSignal;
    /** Run inside this container (docker exec) instead of on the host; uid, gid and cwd then do not apply. */
    container?: ContainerExec;
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
  const common = { timeoutMs: opts.timeoutMs, check: false, signal: opts.signal };
  let res;
  if (opts.container) {
    const c = inContainer(opts.container, bashArgs, opts.env);
    res = await run(c.command, c.args, { ...common, env: c.env });
  } else {
    res = await run('bash', bashArgs, {
      ...common,
      env: opts.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
  }
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
