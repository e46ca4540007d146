import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_MARKER } from '../../core/session.ts';

export const RUN_DIR_PREFIX = 'drillbook-';

export interface RunMarker {
  runId: string;
  drillId: string;
  /** The harness process that owns the estate; `drill cleanup` leaves estates whose owner still runs. */
  harnessPid: number;
  createdAt: string;
  kept?: boolean;
}

/** A per-drill temporary directory, marked with the run id so a sweep can find it after a SIGKILL. */
export function createRunDir(runId: string, drillId: string, base = tmpdir()): string {
  const dir = mkdtempSync(join(base, `${RUN_DIR_PREFIX}${runId}-${drillId}-`));
  // The unprivileged Postgres account must be able to reach its data directory inside.
  chmodSync(dir, 0o711);
  writeMarker(dir, { runId, drillId, harnessPid: process.pid, createdAt: new Date().toISOString() });
  return dir;
}

export function writeMarker(dir: string, marker: RunMarker): void {
  writeFileSync(join(dir, RUN_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}

export function readMarker(dir: string): RunMarker | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, RUN_MARKER), 'utf8')) as RunMarker;
  } catch {
    return undefined;
  }
}

/** Run directories under `base` that carry a drillbook marker. */
export function findRunDirs(base = tmpdir()): { dir: string; marker: RunMarker }[] {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(RUN_DIR_PREFIX))
    .map((n) => ({ dir: join(base, n), marker: readMarker(join(base, n)) }))
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
