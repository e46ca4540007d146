import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { RUN_MARKER } from '../../core/session.ts';
import { isAlive } from '../../core/exec.ts';
import { hasProc, startTime } from './proc.ts';
import { registerRun } from './registry.ts';

export const RUN_DIR_PREFIX = 'drillbook-';

/** The marker file of a run directory, as read back: parsed with a schema, never trusted as it lies. */
const RunMarkerSchema = z.object({
  runId: z.string().min(1),
  drillId: z.string().min(1),
  /** The harness process that owns the estate; `drill cleanup` leaves estates whose owner still runs. */
  harnessPid: z.number().int().positive(),
  /** Its start time (clock ticks after boot): with the pid, names that very process, not a reuse of its pid. */
  harnessStart: z.number().optional(),
  createdAt: z.string(),
  kept: z.boolean().optional(),
});
export type RunMarker = z.infer<typeof RunMarkerSchema>;

/** A per-drill temporary directory, marked with the run id so a sweep can find it after a SIGKILL. */
export function createRunDir(runId: string, drillId: string, base = tmpdir()): string {
  const dir = mkdtempSync(join(base, `${RUN_DIR_PREFIX}${runId}-${drillId}-`));
  // The unprivileged Postgres account must be able to reach its data directory inside.
  chmodSync(dir, 0o711);
  const harnessStart = startTime(process.pid);
  writeMarker(dir, {
    runId,
    drillId,
    harnessPid: process.pid,
    ...(harnessStart !== undefined ? { harnessStart } : {}),
    createdAt: new Date().toISOString(),
  });
  registerRun(runId, drillId, dir);
  return dir;
}

export function writeMarker(dir: string, marker: RunMarker): void {
  writeFileSync(join(dir, RUN_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}

/**
 * The marker of a run directory, or undefined when there is none or it does not parse (then `warn` names the
 * file: a marker with unexpected content is skipped, never a crash).
 */
export function readMarker(dir: string, warn?: (line: string) => void): RunMarker | undefined {
  const file = join(dir, RUN_MARKER);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    warn?.(`${file}: skipped: not valid JSON`);
    return undefined;
  }
  const parsed = RunMarkerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    warn?.(
      `${file}: skipped: ${issue?.path.join('.') || 'marker'}: ${issue?.message ?? 'unexpected content'}`,
    );
    return undefined;
  }
  return parsed.data;
}

/** Is the harness that wrote this marker still running (the same process, when its start time was recorded)? */
export function markerOwnerAlive(m: RunMarker): boolean {
  if (!hasProc()) return isAlive(m.harnessPid);
  const st = startTime(m.harnessPid);
  if (m.harnessStart !== undefined) return st === m.harnessStart;
  return st !== undefined;
}

/** Run directories under `base` that carry a drillbook marker. */
export function findRunDirs(
  base = tmpdir(),
  warn?: (line: string) => void,
): { dir: string; marker: RunMarker }[] {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(RUN_DIR_PREFIX))
    .map((n) => ({ dir: join(base, n), marker: readMarker(join(base, n), warn) }))
    .filter((x): x is { dir: string; marker: RunMarker } => x.marker !== undefined);
}

/**
 * Remove a run directory, its marker last: a harness killed half-way through (SIGKILL during teardown) leaves a
 * directory that still says whose it is, so `drill cleanup` finds it.
 */
export function removeRunDir(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // already gone
  }
  unmountUnder(dir);
  for (const name of names.filter((n) => n !== RUN_MARKER))
    rmSync(join(dir, name), { recursive: true, force: true, maxRetries: 3 });
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * `removeRunDir` without blocking the event loop: teardown of one drill must not stall the probes of the drills
 * running beside it (`--parallel`) while the disk deletes a few hundred megabytes of database files.
 */
export async function removeRunDirAsync(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return; // already gone
  }
  for (const name of names.filter((n) => n !== RUN_MARKER))
    await rm(join(dir, name), { recursive: true, force: true, maxRetries: 3 });
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Detach every file system mounted inside `dir` (deepest first): a run as root mounts small tmpfs volumes in its
 * directory (the database's size-limited volume, a checklist break's), which a killed run leaves mounted and
 * which would make removing the directory fail with EBUSY.
 */
function unmountUnder(dir: string): void {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return; // not Linux: nothing a run mounted
  }
  const inside = mounts
    .split('\n')
    .map((l) => l.split(' ')[1]?.replaceAll('\\040', ' '))
    .filter((m): m is string => m !== undefined && m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of inside) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
}
