import type { Clock } from '../core/clock.ts';

/**
 * Fire `tick` every `intervalMs` on a fixed schedule (t_k = t_0 + k * interval), whether or not earlier ticks
 * have finished: an open-loop load, so a slow or hung target cannot slow down the observation of it.
 */
export function openLoop(clock: Clock, intervalMs: number, tick: (seq: number) => void): { stop(): void } {
  const t0 = clock.now();
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const due = t0 + seq * intervalMs;
    timer = setTimeout(
      () => {
        if (stopped) return;
        // If the event loop fell behind, fire what is due without bunching more than one tick per turn.
        tick(seq++);
        schedule();
      },
      Math.max(0, due - clock.now()),
    );
  };
  schedule();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
