import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The processes of a container on this machine, from its id in their cgroup path; the container's main process
 * is the one whose parent is not in the container (the runtime's shim is outside).
 */
export function containerMainPids(id: string): number[] {
  const inside = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(join('/proc', name, 'cgroup'), 'utf8').includes(id)) continue;
      const stat = readFileSync(join('/proc', name, 'stat'), 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      inside.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  return [...inside].filter(([, ppid]) => !inside.has(ppid)).map(([pid]) => pid);
}
