/**
 * The registry of runs on this machine, in a fixed per-user place (`/tmp/drillbook-<uid>/runs`, whatever TMPDIR
 * a run or `drill cleanup` has): one file per harness process, named by its pid and start time, listing the runs
 * it owns, their directories, and every process it spawned with that process's start time. It is how cleanup
 * proves ownership: a process is drillbook's to kill only if its pid AND start time match a record of a run
 * whose harness is gone (a pid alone can have been reused by anything since).
 *
 * Lines are JSON, appended (a killed harness leaves at worst a truncated last line, which is skipped); each is
 * parsed with a schema, and a file or line that does not parse is skipped with a warning naming it.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { onSpawn } from '../../core/spawn-hook.ts';
import { allPids, processGroupOf, startTime } from './proc.ts';

export function registryDir(): string {
  return join('/tmp', `drillbook-${process.getuid?.() ?? 'user'}`, 'runs');
}

const Owner = z.object({ type: z.literal('owner'), pid: z.number().int().positive(), start: z.number() });
const RunLine = z.object({
  type: z.literal('run'),
  runId: z.string().min(1),
  drillId: z.string(),
  dir: z.string().min(1),
});
const ProcessLine = z.object({
  type: z.literal('process'),
  runId: z.string().min(1),
  pid: z.number().int().positive(),
  start: z.number(),
  /** The process group it leads (spawned detached: its own pid), or undefined when it shares ours. */
  pgid: z.number().int().positive().optional(),
});
const Line = z.discriminatedUnion('type', [Owner, RunLine, ProcessLine]);

export type OwnerRecord = z.infer<typeof Owner>;
export type RunRecord = z.infer<typeof RunLine>;
export type ProcessRecord = z.infer<typeof ProcessLine>;

export interface RegistryEntry {
  file: string;
  owner: OwnerRecord;
  runs: RunRecord[];
  processes: ProcessRecord[];
}

let ownFile: string | undefined;
let currentRun: string | undefined;

/** This harness's registry file, created on first use. */
function own(): string | undefined {
  if (ownFile) return ownFile;
  const start = startTime(process.pid);
  if (start === undefined) return undefined; // no /proc: nothing could be proven from it anyway
  const dir = registryDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${process.pid}-${start}.jsonl`);
  appendFileSync(file, `${JSON.stringify({ type: 'owner', pid: process.pid, start })}\n`, { mode: 0o600 });
  ownFile = file;
  return file;
}

/** A run directory this harness created for `runId`: from now on the processes it spawns are recorded. */
export function registerRun(runId: string, drillId: string, dir: string): void {
  const file = own();
  currentRun = runId;
  onSpawn(recordSpawn);
  if (file) appendFileSync(file, `${JSON.stringify({ type: 'run', runId, drillId, dir })}\n`);
}

/**
 * Record a process this harness just spawned (its pid and start time), for the run in progress. A spawn outside a
 * run (`drill doctor`, image builds) is not recorded: nothing of it outlives the command.
 */
export function recordSpawn(pid: number | undefined, detached: boolean): void {
  if (pid === undefined || currentRun === undefined || !ownFile) return;
  const start = startTime(pid);
  if (start === undefined) return; // already gone
  const line = { type: 'process', runId: currentRun, pid, start, ...(detached ? { pgid: pid } : {}) };
  try {
    appendFileSync(ownFile, `${JSON.stringify(line)}\n`);
  } catch {
    // The registry is for cleanup after a crash; a run does not fail because it could not note a process.
  }
}

/** Every registry file, parsed; what does not parse is skipped with a warning naming the file (and line). */
export function readRegistry(warn: (line: string) => void): RegistryEntry[] {
  const dir = registryDir();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const out: RegistryEntry[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      warn(`${file}: skipped: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      continue;
    }
    let owner: OwnerRecord | undefined;
    const runs: RunRecord[] = [];
    const processes: ProcessRecord[] = [];
    const lines = text.split('\n');
    for (const [i, raw] of lines.entries()) {
      if (raw.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        // A harness killed mid-write leaves a truncated last line: expected, not worth a warning.
        if (i !== lines.length - 1) warn(`${file}: line ${i + 1} skipped: not valid JSON`);
        continue;
      }
      const parsed = Line.safeParse(json);
      if (!parsed.success) {
        warn(`${file}: line ${i + 1} skipped: ${parsed.error.issues[0]?.message ?? 'unexpected content'}`);
        continue;
      }
      const v = parsed.data;
      if (v.type === 'owner') owner ??= v;
      else if (v.type === 'run') runs.push(v);
      else processes.push(v);
    }
    if (!owner || `${owner.pid}-${owner.start}.jsonl` !== name) {
      warn(`${file}: skipped: no owner line matching its name`);
      continue;
    }
    out.push({ file, owner, runs, processes });
  }
  return out;
}

/** Is the harness that wrote this entry still running (the same process: pid and start time)? */
export function ownerAlive(owner: OwnerRecord): boolean {
  return startTime(owner.pid) === owner.start;
}

/**
 * The processes of a record that are provably it: the recorded process itself if its start time still matches,
 * and, when it led a process group, the members of that group that started no earlier (a group id is not reused
 * while any member lives, so they are what it forked). Never anything in `spare`.
 */
export function provenProcesses(rec: ProcessRecord, spare: ReadonlySet<number>): number[] {
  const out = new Set<number>();
  if (startTime(rec.pid) === rec.start) out.add(rec.pid);
  if (rec.pgid !== undefined) {
    for (const pid of allPids()) {
      if (processGroupOf(pid) !== rec.pgid) continue;
      const st = startTime(pid);
      if (st !== undefined && st >= rec.start) out.add(pid);
    }
  }
  return [...out].filter((p) => !spare.has(p));
}

export function removeRegistryFile(file: string): void {
  rmSync(file, { force: true });
}

/** This harness's own entry (the second Ctrl-C takes down exactly what it recorded). */
export function ownEntry(warn: (line: string) => void): RegistryEntry | undefined {
  return ownFile ? readRegistry(warn).find((e) => e.file === ownFile) : undefined;
}

/** At the end of a run that kept nothing: this harness's entry is no longer needed by anyone. */
export function forgetOwn(): void {
  if (ownFile) rmSync(ownFile, { force: true });
  ownFile = undefined;
  currentRun = undefined;
}
