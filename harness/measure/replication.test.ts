import { describe, expect, it } from 'vitest';
import { measureReplication } from './replication.ts';
import type { ReplicationSample, TimelineEvent, WriteEvent } from './timeline.ts';

const sample: ReplicationSample = {
  state: 'streaming',
  syncState: 'async',
  writeLagMs: null,
  flushLagMs: null,
  replayLagMs: null,
  unsentBytes: 0,
  unwrittenBytes: 16_000,
  unflushedBytes: 16_000,
  unreplayedBytes: 16_000,
  replyAgeMs: 1000,
};

/** Writes every 20 ms from t=0 to t<2000; `latency(t)` gives each one's ack delay, undefined = no answer. */
function writes(
  latency: (t: number) => number | undefined,
  outcome: WriteEvent['outcome'] = 'ok',
): WriteEvent[] {
  return Array.from({ length: 100 }, (_, seq) => {
    const t = seq * 20;
    const l = latency(t);
    return l === undefined
      ? { kind: 'write', seq, t, outcome: 'indeterminate' }
      : { kind: 'write', seq, t, ack: t + l, outcome };
  });
}

const stallAt = (t: number): TimelineEvent => ({ kind: 'replication', t, what: 'link-stalled' });
const sampleAt = (t: number, s: ReplicationSample | null = sample): TimelineEvent => ({
  kind: 'replication',
  t,
  what: 'sample',
  sample: s,
});

describe('measureReplication', () => {
  it('async: the lag is t_f minus the stall, writes during it acknowledged at their usual latency', () => {
    const events = [...writes(() => 8), stallAt(500), sampleAt(1495)];
    const m = measureReplication(events, { mode: 'async', faultAt: 1500, rpoMs: 1010, lostAckedWrites: 50 });
    expect(m).toMatchObject({ mode: 'async', lagMs: 1000, beforeFault: sample, rpoMinusLagMs: 10 });
    expect(m.duringLag).toEqual({
      sent: 50,
      acked: 50,
      refused: 0,
      waiting: 0,
      ackLatencyP50Ms: 8,
      ackLatencyMaxMs: 8,
      commitStallMs: 8,
    });
    expect(m.ackLatencyBeforeLagP50Ms).toBe(8);
  });

  it('sync: writes sent during the lag wait for the standby; the stall runs to t_f', () => {
    // Committed in 8 ms before the stall; after it, no answer until the primary dies (then a cut connection).
    const events = [...writes((t) => (t < 500 ? 8 : undefined)), stallAt(500), sampleAt(1495)];
    const m = measureReplication(events, { mode: 'sync', faultAt: 1500, rpoMs: 0, lostAckedWrites: 0 });
    expect(m.lagMs).toBe(1000);
    expect(m.duringLag).toEqual({ sent: 50, acked: 0, refused: 0, waiting: 50, commitStallMs: 1000 });
    expect(m.rpoMinusLagMs).toBeUndefined();
  });

  it('counts refusals and acks that came after a wait; ignores answers after t_f', () => {
    const events: TimelineEvent[] = [
      stallAt(100),
      { kind: 'write', seq: 1, t: 120, ack: 400, outcome: 'ok' },
      { kind: 'write', seq: 2, t: 140, ack: 150, outcome: 'fail' },
      { kind: 'write', seq: 3, t: 160, ack: 900, outcome: 'ok' },
    ];
    const m = measureReplication(events, { mode: 'sync', faultAt: 500 });
    expect(m.duringLag).toMatchObject({ sent: 3, acked: 1, refused: 1, waiting: 1, commitStallMs: 340 });
  });

  it('without a lagging link: only the mode (and no sample)', () => {
    expect(
      measureReplication(
        writes(() => 8),
        { mode: 'async', faultAt: 1500 },
      ),
    ).toEqual({ mode: 'async' });
  });

  it('a standby that was not connected is sampled as null', () => {
    const m = measureReplication([stallAt(0), sampleAt(900, null)], { mode: 'async', faultAt: 1000 });
    expect(m.beforeFault).toBeNull();
  });
});
