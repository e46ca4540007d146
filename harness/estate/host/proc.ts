/**
 * What /proc says about a process, for proving that a pid is one drillbook started before signalling it. Every
 * reader returns undefined when the process is gone, not ours to read, or /proc does not exist.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

/** The fields of /proc/PID/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * When the process started, in clock ticks after boot (field 22 of /proc/PID/stat). With the pid, it names one
 * process for the life of the machine: a pid reused by another program has another start time.
 */
export function startTime(pid: number): number | undefined {
  const v = statFields(pid)?.[19];
  return v === undefined ? undefined : Number(v);
}

/** Parent pid (field 4) and process group (field 5). */
export function parentOf(pid: number): number | undefined {
  const v = statFields(pid)?.[1];
  return v === undefined ? undefined : Number(v);
}

export function processGroupOf(pid: number): number | undefined {
  const v = statFields(pid)?.[2];
  return v === undefined ? undefined : Number(v);
}

/** This process and every ancestor up to init: never a target of anything drillbook kills. */
export function ownAncestry(): Set<number> {
  const out = new Set<number>([process.pid]);
  let pid: number | undefined = process.ppid;
  while (pid !== undefined && pid > 0 && !out.has(pid)) {
    out.add(pid);
    pid = parentOf(pid);
  }
  return out;
}

/** Is this pid still the very process recorded (same start time)? */
export function sameProcess(pid: number, start: number): boolean {
  return startTime(pid) === start;
}

export function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

export function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

export function hasProc(): boolean {
  return startTime(process.pid) !== undefined;
}

/** Every pid in /proc. */
export function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

/** The real path of a directory, or the path itself when it cannot be resolved. */
export function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
