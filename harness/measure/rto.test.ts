import { describe, expect, it } from 'vitest';
import { computeRto, finalRto } from './rto.ts';
import type { ProbeEvent } from './timeline.ts';

/** Synthetic probes every `interval` ms from `from`; `fail(t)` says which ones fail. */
function probes(from: number, to: number, interval: number, fail: (t: number) => boolean): ProbeEvent[] {
  const out: ProbeEvent[] = [];
  for (let t = from, seq = 0; t < to; t += interval, seq++) {
    out.push({ kind: 'probe', seq, t, end: t + 5, ok: !fail(t) });
  }
  return out;
}

const base = { faultAt: 1000, consecutive: 5, settleMs: 2000, intervalMs: 100 };

describe('computeRto', () => {
  it('measures from the fault to the start of the first sustained run of successes', () => {
    const p = probes(0, 10_000, 100, (t) => t >= 1000 && t < 3500);
    const r = finalRto(p, { ...base, observedUntil: 10_000 });
    expect(r).toMatchObject({
      status: 'recovered',
      rtoMs: 2500,
      recoveredAt: 3500,
      outage: true,
      timeToDetectMs: 5,
    });
    if (r.status === 'recovered') expect(r.failedProbes).toBe(25);
  });

  it('does not count a flapping recovery: a failure inside the settle window restarts the search', () => {
    // Down 1000-3000, up 3000-3600 (6 successes), down again 3600-4000, then up for good.
    const p = probes(0, 12_000, 100, (t) => (t >= 1000 && t < 3000) || (t >= 3600 && t < 4000));
    const r = finalRto(p, { ...base, observedUntil: 12_000 });
    expect(r).toMatchObject({ status: 'recovered', recoveredAt: 4000, rtoMs: 3000 });
  });

  it('needs K consecutive successes: four are not enough', () => {
    const p = probes(0, 12_000, 100, (t) => (t >= 1000 && t < 2000) || (t >= 2400 && t < 3000));
    const r = finalRto(p, { ...base, observedUntil: 12_000 });
    expect(r).toMatchObject({ status: 'recovered', recoveredAt: 3000 });
  });

  it('is pending while the settle window is not fully observed, and not-recovered once observation ends', () => {
    const p = probes(0, 4000, 100, (t) => t >= 1000 && t < 3000);
    expect(computeRto(p, { ...base, observedUntil: 4000 }).status).toBe('pending');
    expect(finalRto(p, { ...base, observedUntil: 4000 }).status).toBe('not-recovered');
  });

  it('never recovers when every probe after the fault fails', () => {
    const p = probes(0, 8000, 100, (t) => t >= 1000);
    const r = finalRto(p, { ...base, observedUntil: 8000 });
    expect(r.status).toBe('not-recovered');
    expect(r.failedProbes).toBe(70);
  });

  it('reports no outage when the fault was invisible to clients', () => {
    const p = probes(0, 5000, 100, () => false);
    const r = finalRto(p, { ...base, observedUntil: 5000 });
    expect(r).toMatchObject({ status: 'recovered', outage: false, rtoMs: 0, failedProbes: 0 });
  });

  it('reports RTO 0 with no outage when no probe failed, not the offset of the first probe after the fault', () => {
    // Probes every 100 ms, the first one after the fault 73 ms after it; none fails.
    const p = probes(27, 6000, 100, () => false);
    const r = finalRto(p, { ...base, observedUntil: 6000 });
    expect(r).toMatchObject({ status: 'recovered', outage: false, rtoMs: 0, recoveredAt: 1000 });
  });

  it('ignores probes sent before the fault even if they finish after it', () => {
    const p: ProbeEvent[] = [
      { kind: 'probe', seq: 0, t: 950, end: 1500, ok: false },
      ...probes(1000, 5000, 100, () => false),
    ];
    const r = finalRto(p, { ...base, observedUntil: 5000 });
    expect(r).toMatchObject({ status: 'recovered', rtoMs: 0, outage: false });
  });

  it('says so when nothing was probed after the fault', () => {
    const r = finalRto(
      probes(0, 900, 100, () => false),
      { ...base, observedUntil: 5000 },
    );
    expect(r).toMatchObject({ status: 'not-recovered', reason: 'no probe was sent after the fault' });
  });
});
