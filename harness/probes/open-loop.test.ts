import { describe, expect, it } from 'vitest';
import { monotonicClock } from '../core/clock.ts';
import { openLoop } from './open-loop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('open-loop traffic', () => {
  it('keeps each loop at its own rate while both fire on the shortest interval’s wake-ups', async () => {
    const clock = monotonicClock();
    const probes: number[] = [];
    const writes: number[] = [];
    const probe = openLoop(clock, 15, () => probes.push(clock.now()));
    const write = openLoop(clock, 20, () => writes.push(clock.now()));
    await sleep(900);
    probe.stop();
    write.stop();
    const span = clock.now();
    // The rate is the schedule's (t_k = t_0 + k * interval), not lowered by sharing a timer.
    expect(probes.length).toBeGreaterThanOrEqual(Math.floor(span / 15) - 5);
    expect(writes.length).toBeGreaterThanOrEqual(Math.floor(span / 20) - 5);
    expect(probes.length).toBeLessThanOrEqual(Math.ceil(span / 15) + 1);
    expect(writes.length).toBeLessThanOrEqual(Math.ceil(span / 20) + 1);
    // A write goes out in the same wake-up as a probe, not in one of its own (on a busy machine a loop that fell
    // behind catches up on wake-ups of its own, hence the allowance; with a timer per loop, 37 of 45 were alone).
    const alone = writes.filter((t) => !probes.some((p) => Math.abs(p - t) < 0.5));
    expect(alone.length).toBeLessThanOrEqual(Math.floor(writes.length / 10));
    // A stopped loop sends nothing more.
    const counts = [probes.length, writes.length];
    await sleep(60);
    expect([probes.length, writes.length]).toEqual(counts);
  });

  it('fires a loop that fell behind once per turn, catching up without a burst', async () => {
    const clock = monotonicClock();
    const ticks: number[] = [];
    const loop = openLoop(clock, 10, (seq) => ticks.push(seq));
    await sleep(5);
    const until = performance.now() + 60; // block the event loop for six intervals
    while (performance.now() < until);
    const behind = ticks.length;
    await new Promise((r) => setImmediate(r));
    expect(ticks.length - behind).toBeLessThanOrEqual(1);
    await sleep(100);
    loop.stop();
    expect(ticks).toEqual(ticks.map((_, i) => i));
  });
});
