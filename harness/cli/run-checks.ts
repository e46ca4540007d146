/**
 * What `drill run` checks before anything starts, and how it keeps a run's evidence when the place asked for
 * cannot take it at the end. Every path the run will write is checked up front (exit 2, one line); the
 * fallback exists for what no up-front check can rule out (a directory removed or made read-only mid-run, a
 * full disk).
 */
import { accessSync, constants, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, UsageError } from '../core/errors.ts';
import { missingCapabilities, type Backend } from '../estate/backend.ts';
import type { DrillDefinition } from '../drill/define.ts';
import { readImageConfig } from '../estate/docker/images.ts';
import { readSigningConfig } from '../report/signing-config.ts';

/**
 * A directory the run will create files in: it is a directory we may write into, or it does not exist yet and
 * its nearest existing ancestor is one (it will be created). Anything else is a UsageError naming the flag.
 */
export function checkWritableDir(path: string, flag: string): void {
  const dir = resolve(path);
  let probe = dir;
  while (!existsSync(probe)) {
    const up = dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  let isDir: boolean;
  try {
    isDir = statSync(probe).isDirectory();
  } catch (e) {
    throw new UsageError(`${flag} ${path}: cannot be checked: ${describe(e)}`);
  }
  if (!isDir)
    throw new UsageError(
      probe === dir
        ? `${flag} ${path}: is a file, not a directory`
        : `${flag} ${path}: ${probe} is a file, not a directory`,
    );
  try {
    accessSync(probe, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(
      probe === dir
        ? `${flag} ${path}: not writable by this user`
        : `${flag} ${path}: cannot be created (${probe} is not writable by this user)`,
    );
  }
}

/**
 * Every section of drillbook.config.json read and validated at once, before a run starts: a malformed file is
 * exit 2 naming it whichever backend is chosen (`--backend auto` may pick one that never reads it).
 */
export function checkConfig(env: NodeJS.ProcessEnv): void {
  readImageConfig(process.cwd());
  readSigningConfig(process.cwd(), env);
}

/**
 * With no drill named, the drills this backend runs, and one line per drill left out saying why. With ids,
 * every named drill must run on it (a UsageError otherwise): an explicit request is never silently trimmed.
 */
export function drillsForBackend(
  drills: readonly DrillDefinition[],
  backend: Backend,
  named: boolean,
  runsOn: (d: DrillDefinition) => string[],
): { drills: DrillDefinition[]; leftOut: string[] } {
  const kept: DrillDefinition[] = [];
  const leftOut: string[] = [];
  for (const d of drills) {
    const missing = missingCapabilities(backend, d.needs);
    if (missing.length === 0) {
      kept.push(d);
      continue;
    }
    const only = backend.onlyDrillsNeeding;
    const reason =
      only && !d.needs.includes(only)
        ? `the ${backend.name} backend runs only drills that need ${only}`
        : `it needs ${missing.join(', ')}${stagesNeeding(d, missing)}`;
    const why = `${d.id} does not run on the ${backend.name} backend (${reason}; runs on ${runsOn(d).join(', ') || 'no backend'})`;
    if (named) throw new UsageError(`run: ${why}`);
    leftOut.push(why);
  }
  if (kept.length === 0)
    throw new UsageError(
      `run: none of the chosen drills runs on the ${backend.name} backend${leftOut.length === 1 ? `: ${leftOut[0] ?? ''}` : ''}`,
    );
  return { drills: kept, leftOut };
}

/** A composite exercise: which of its stages need what the backend lacks (` for stage q2-failback`). */
function stagesNeeding(d: DrillDefinition, missing: readonly string[]): string {
  const stages = (d.stages ?? []).filter((s) => s.needs.some((n) => missing.includes(n))).map((s) => s.id);
  return stages.length ? ` for stage${stages.length > 1 ? 's' : ''} ${stages.join(', ')}` : '';
}

/**
 * Write the reports where asked; when that fails anyway (the directory went away or became read-only during the
 * run, the disk filled), write them into a new directory under the OS temporary directory and say so. The
 * evidence of a run that happened is never lost to an output problem.
 */
export async function writeWithFallback<T>(
  reportDir: string,
  write: (dir: string) => Promise<T>,
  warn: (line: string) => void,
): Promise<T> {
  try {
    return await write(reportDir);
  } catch (e) {
    const fallback = mkdtempSync(join(tmpdir(), 'drill-reports-fallback-'));
    warn(
      `reports could not be written to ${reportDir} (${describe(e)}); writing them to ${fallback} instead`,
    );
    return write(fallback);
  }
}
