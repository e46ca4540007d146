import { describe, expect, it } from 'vitest';
import { shippingCriterion } from '../drill/verdict.ts';
import { computeRpo } from './rpo.ts';
import { measureShipping } from './shipping.ts';
import type { ShipmentEvent, TimelineEvent, WriteEvent } from './timeline.ts';

const seg = (n: number) => `0000000100000000000000${n.toString(16).toUpperCase().padStart(2, '0')}`;
const wal = (t: number, n: number): ShipmentEvent => ({
  kind: 'shipment',
  t,
  what: 'wal',
  name: seg(n),
  seen: t + 20,
});

/** Writes every 20 ms from t=0 to the fault at 5000, acked 5 ms after they are sent. */
const writes: WriteEvent[] = Array.from({ length: 250 }, (_, seq) => ({
  kind: 'write',
  seq,
  t: seq * 20,
  ack: seq * 20 + 5,
  outcome: 'ok',
}));

/** The DR site kept what was acked before the last segment's switch at 4200 (it arrived at 4230). */
function scenario(lastSwitch: number, arrival: number) {
  const present = new Set(writes.filter((w) => (w.ack ?? 0) < lastSwitch).map((w) => w.seq));
  const rpo = computeRpo(writes, present, 5000);
  const timeline: TimelineEvent[] = [
    wal(200, 1),
    wal(2210, 2),
    wal(arrival, 3),
    { kind: 'shipment', t: 3500, what: 'rdb', name: 'dump.rdb', seen: 3510 },
    // Shipped after the fault (the promoted DR database archiving its own segments): not before t_f.
    wal(7000, 4),
    ...writes,
  ];
  return measureShipping(timeline, {
    feed: 'wal-shipping',
    archiveTimeoutMs: 2000,
    redisSnapshotMs: 2000,
    faultAt: 5000,
    lost: { seqRanges: rpo.lostSeqRanges, rpoMs: rpo.rpoMs },
    cache: { lostAckedWrites: 75, windowMs: 1500 },
  });
}

describe('measureShipping', () => {
  it('relates exactly which acked writes were lost to the last segment shipped before the fault', () => {
    const m = scenario(4200, 4230);
    expect(m.walShipped).toBe(3);
    expect(m.walIntervalMedianMs).toBe(2020);
    expect(m.walIntervalMaxMs).toBe(2020);
    expect(m.lastWal).toEqual({ name: seg(3), t: 4230, ageMs: 770 });
    expect(m.lastSnapshot).toEqual({ t: 3500, ageMs: 1500 });
    // Acked at 4205 (seq 210) and later: lost; the last kept was acked at 4185.
    expect(m.lostWrites[0]).toEqual({ seq: 210, ackMs: -795 });
    expect(m.lostWrites.at(-1)).toEqual({ seq: 249, ackMs: -15 });
    expect(m.lostWrites).toHaveLength(40);
    expect(m.lossWindowMs).toBe(815);
    expect(m.windowBeyondLastWalMs).toBe(45);
    // Acked between the switch (4200) and the arrival (4230): lost, though acked before the segment arrived.
    expect(m.lostBeforeLastWal).toBe(2);
    expect(m).toMatchObject({ cacheLost: 75, cacheWindowMs: 1500 });
  });

  it('moves the loss window with the last shipment', () => {
    expect(scenario(3000, 3010).lossWindowMs).toBeGreaterThan(scenario(4200, 4230).lossWindowMs + 1000);
  });

  it('the criterion holds within archive_timeout plus the slack, and fails beyond', () => {
    expect(shippingCriterion('d', scenario(4200, 4230)).passed).toBe(true);
    const late = shippingCriterion('d', { ...scenario(4200, 4230), lossWindowMs: 3500 });
    expect(late.passed).toBe(false);
    expect(late.message).toMatch(/exceeded the WAL shipping's 3 s/);
  });
});
