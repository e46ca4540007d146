import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { DRILL_ID_ENV, RUN_ID_ENV } from '../../core/session.ts';
import { isAlive } from '../../core/exec.ts';
import type { EstateResources } from '../types.ts';
import { portOpen } from './ports.ts';

/**
 * Processes labelled with a run id (DRILL_RUN_ID in their environment), found through /proc. Children inherit
 * the label, so this also finds Postgres backends of a killed postmaster. Empty where /proc does not exist.
 */
export function labelledProcesses(runId?: string): { pid: number; runId: string; drillId?: string }[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const found: { pid: number; runId: string; drillId?: string }[] = [];
  const prefix = `${RUN_ID_ENV}=`;
  const drillPrefix = `${DRILL_ID_ENV}=`;
  for (const name of entries) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue; // gone already, or not ours to read
    }
    const vars = environ.split('\0');
    const label = vars.find((kv) => kv.startsWith(prefix));
    if (!label) continue;
    const id = label.slice(prefix.length);
    const drillId = vars.find((kv) => kv.startsWith(drillPrefix))?.slice(drillPrefix.length);
    if (Number(name) !== process.pid && (runId === undefined || id === runId))
      found.push({ pid: Number(name), runId: id, ...(drillId ? { drillId } : {}) });
  }
  return found;
}

/**
 * What is still there after teardown: each entry is a leak, and a leak fails the drill. With `drillId`, a
 * process labelled with another drill of the same run is that drill's (it may still be running beside this one).
 */
export async function findLeaks(
  runId: string,
  resources: EstateResources,
  drillId?: string,
): Promise<string[]> {
  const leaks: string[] = [];
  const labelled = labelledProcesses(runId).filter(
    (p) => drillId === undefined || p.drillId === undefined || p.drillId === drillId,
  );
  const pids = new Set([...resources.pids.filter(isAlive), ...labelled.map((p) => p.pid)]);
  for (const pid of pids) leaks.push(`process ${pid} still running`);
  for (const port of resources.ports) {
    if (await portOpen(port, 200)) leaks.push(`port 127.0.0.1:${port} still accepting connections`);
  }
  for (const { host, port } of resources.nodePorts ?? []) {
    if (await portOpen(port, 200, host)) leaks.push(`port ${host}:${port} still accepting connections`);
  }
  for (const dir of resources.dirs) if (existsSync(dir)) leaks.push(`directory ${dir} still exists`);
  return leaks;
}
