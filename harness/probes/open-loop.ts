import type { Clock } from '../core/clock.ts';

/**
 * Fire `tick` every `intervalMs` on a fixed schedule (t_k = t_0 + k * interval), whether or not earlier ticks
 * have finished: an open-loop load, so a slow or hung target cannot slow down the observation of it.
 *
 * Every loop on one clock shares one timer (a `Pacer`): it wakes on the grid of the shortest interval running
 * and fires each loop whose tick is due. On these machines a wake-up of the event loop is itself a large part of
 * a request's CPU (docs/speed.md): a drill's probes (every 15 ms) and canary writes (every 20 ms) on timers of
 * their own woke the harness 117 times a second, on one grid 67. A tick fires at most one grid step after its
 * time; every request records its own send time, so what is measured does not change, and the rate is exact.
 */
export function openLoop(clock: Clock, intervalMs: number, tick: (seq: number) => void): { stop(): void } {
  let pacer = pacers.get(clock);
  if (!pacer) pacers.set(clock, (pacer = new Pacer(clock)));
  return pacer.add(intervalMs, tick);
}

interface Loop {
  readonly t0: number;
  readonly interval: number;
  seq: number;
  readonly tick: (seq: number) => void;
}

/** A timer's callback may run up to a millisecond before a fractional due time (timers count whole ms). */
const EARLY_MS = 1;

const pacers = new WeakMap<Clock, Pacer>();

class Pacer {
  private readonly loops = new Set<Loop>();
  private timer: NodeJS.Timeout | undefined;
  private epoch = 0;

  constructor(private readonly clock: Clock) {}

  add(interval: number, tick: (seq: number) => void): { stop(): void } {
    const loop: Loop = { t0: this.clock.now(), interval, seq: 0, tick };
    if (this.loops.size === 0) this.epoch = loop.t0;
    this.loops.add(loop);
    this.arm();
    return {
      stop: () => {
        if (!this.loops.delete(loop)) return;
        if (this.loops.size === 0) {
          clearTimeout(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  /** Wake at the first grid point at or after the earliest due tick (at once when one is overdue). */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.loops.size === 0) return;
    let quantum = Infinity;
    let due = Infinity;
    for (const l of this.loops) {
      quantum = Math.min(quantum, l.interval);
      due = Math.min(due, l.t0 + l.seq * l.interval);
    }
    const wake = quantum > 0 ? this.epoch + Math.ceil((due - this.epoch) / quantum) * quantum : due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, wake - this.clock.now()));
  }

  /** Fire each loop's due tick, one per loop per turn: a loop that fell behind catches up without bunching. */
  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now() + EARLY_MS;
    for (const l of [...this.loops]) {
      if (!this.loops.has(l) || l.t0 + l.seq * l.interval > now) continue;
      l.tick(l.seq++);
    }
    this.arm();
  }
}
