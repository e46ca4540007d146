import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { RUN_ID_ENV } from '../../core/session.ts';
import { isAlive } from '../../core/exec.ts';
import type { EstateResources } from '../types.ts';
import { portOpen } from './ports.ts';

/**
 * Processes labelled with a run id (DRILL_RUN_ID in their environment), found through /proc. Children inherit
 * the label, so this also finds Postgres backends of a killed postmaster. Empty where /proc does not exist.
 */
export function labelledProcesses(runId?: string): { pid: number; runId: string }[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const found: { pid: number; runId: string }[] = [];
  const prefix = `${RUN_ID_ENV}=`;
  for (const name of entries) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue; // gone already, or not ours to read
    }
    const label = environ.split('\0').find((kv) => kv.startsWith(prefix));
    if (!label) continue;
    const id = label.slice(prefix.length);
    if (Number(name) !== process.pid && (runId === undefined || id === runId))
      found.push({ pid: Number(name), runId: id });
  }
  return found;
}

/** What is still there after teardown: each entry is a leak, and a leak fails the drill. */
export async function findLeaks(runId: string, resources: EstateResources): Promise<string[]> {
  const leaks: string[] = [];
  const pids = new Set([...resources.pids.filter(isAlive), ...labelledProcesses(runId).map((p) => p.pid)]);
  for (const pid of pids) leaks.push(`process ${pid} still running`);
  for (const port of resources.ports) {
    if (await portOpen(port, 200)) leaks.push(`port 127.0.0.1:${port} still accepting connections`);
  }
  for (const dir of resources.dirs) if (existsSync(dir)) leaks.push(`directory ${dir} still exists`);
  return leaks;
}
