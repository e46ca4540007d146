import { spawn, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { scopeSignal } from './abort-scope.ts';
import { CommandError } from './errors.ts';
import { announceSpawn } from './spawn-hook.ts';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command (SIGKILL, whole process group) after this many ms. */
  timeoutMs?: number;
  uid?: number;
  gid?: number;
  /** Throw CommandError on a non-zero exit (default true). */
  check?: boolean;
  input?: string;
  /** Kill the command's process group when this aborts (default: the signal of the abort scope, if any). */
  signal?: AbortSignal | undefined;
}

export interface RunResult {
  command: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * Run a program with an argument array (never a shell string) and collect its output. The child gets its own
 * process group so that a timeout or an abort takes its children down with it.
 */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const command = [file, ...args].join(' ');
  const abort = opts.signal ?? scopeSignal();
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
    };
    if (opts.uid !== undefined) spawnOpts.uid = opts.uid;
    if (opts.gid !== undefined) spawnOpts.gid = opts.gid;
    const child = spawn(file, args, spawnOpts);
    announceSpawn(child.pid, true);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killGroup = () => {
      if (child.pid !== undefined) killProcessGroup(child.pid, 'SIGKILL');
    };
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killGroup();
          }, opts.timeoutMs)
        : undefined;
    if (abort?.aborted) killGroup();
    else abort?.addEventListener('abort', killGroup, { once: true });
    if (opts.input !== undefined) {
      // A program that exits without reading its input closes the pipe: that is its business, not an error here.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(opts.input);
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CommandError(command, null, '', { cause: e }));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      abort?.removeEventListener('abort', killGroup);
      const result = {
        command,
        exitCode,
        signal,
        stdout,
        stderr,
        durationMs: performance.now() - started,
        timedOut,
      };
      if ((opts.check ?? true) && exitCode !== 0) {
        reject(
          new CommandError(
            command,
            exitCode,
            timedOut ? `timed out after ${opts.timeoutMs} ms\n${stderr}` : stderr,
          ),
        );
      } else resolve(result);
    });
  });
}

/** Send a signal to a whole process group; a group that is already gone is not an error. */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/**
 * True while a process with this pid exists and is not a zombie (a zombie has exited; only its parent's
 * bookkeeping is left, and an orphan's zombie is reaped by init, sometimes slowly inside containers).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): signal 0 is the best we know
  }
}
