/**
 * Every child the harness spawns is announced here, so the run registry (harness/estate/host/registry.ts) can
 * record its pid and start time without the low layers knowing about runs.
 */
type Hook = (pid: number | undefined, detached: boolean) => void;
let hook: Hook | undefined;

export function onSpawn(fn: Hook): void {
  hook = fn;
}

export function announceSpawn(pid: number | undefined, detached: boolean): void {
  hook?.(pid, detached);
}
