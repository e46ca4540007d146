import { ofKind, type ShipmentEvent, type TimelineEvent } from './timeline.ts';

/**
 * What the DR site had of the primary when the primary site was lost, and how that explains the loss: the
 * last WAL segment shipped before t_f bounds what the DR database can be recovered to (a write acknowledged
 * after the segment holding it was closed is lost), and `archive_timeout` bounds that segment's age; the last
 * Redis snapshot shipped does the same for the cache.
 */
export interface ShippingMeasurement {
  feed: 'wal-shipping' | 'streaming';
  archiveTimeoutMs: number;
  redisSnapshotMs?: number;
  /** WAL segments shipped from the start of observation until t_f, and the intervals between them. */
  walShipped: number;
  walIntervalMedianMs?: number;
  walIntervalMaxMs?: number;
  /** The last segment shipped before t_f: its name, when it arrived, its age at t_f. */
  lastWal?: { name: string; t: number; ageMs: number };
  /** The last Redis snapshot shipped before t_f: when it was written, its age at t_f. */
  lastSnapshot?: { t: number; ageMs: number };
  /** Exactly which acknowledged writes were lost: seq and ack time relative to t_f (negative: before). */
  lostWrites: { seq: number; ackMs: number }[];
  /** The loss window (the RPO: t_f − ack of the last write kept before the first lost one). */
  lossWindowMs: number;
  /**
   * Loss window minus the last segment's age: the segment was switched before it arrived (adds), and the last
   * write it holds was acknowledged after its commit (subtracts); small either way.
   */
  windowBeyondLastWalMs?: number;
  /** Lost writes acknowledged before the last segment arrived (only those the switch-to-arrival gap explains). */
  lostBeforeLastWal: number;
  /** Acknowledged keys the cache lost, and its loss window (from the Redis canary). */
  cacheLost?: number;
  cacheWindowMs?: number;
}

export interface ShippingInput {
  feed: 'wal-shipping' | 'streaming';
  archiveTimeoutMs: number;
  redisSnapshotMs?: number;
  faultAt: number;
  /** From the SQL canary's RPO: the lost seqs and the window. */
  lost?: { seqRanges: [number, number][]; rpoMs: number };
  cache?: { lostAckedWrites: number; windowMs: number };
}

/** A pure function of the timeline's shipments and writes, and the canaries' loss. */
export function measureShipping(
  timeline: readonly TimelineEvent[],
  input: ShippingInput,
): ShippingMeasurement {
  const { faultAt } = input;
  const before = (what: ShipmentEvent['what']) =>
    ofKind(timeline, 'shipment')
      .filter((s) => s.what === what && s.t <= faultAt)
      .sort((a, b) => a.t - b.t);
  const wal = before('wal');
  const intervals = wal.slice(1).map((s, i) => s.t - (wal[i]?.t ?? s.t));
  const sorted = [...intervals].sort((a, b) => a - b);
  const last = wal.at(-1);
  const snapshot = before('rdb').at(-1);
  const lostSeqs = new Set((input.lost?.seqRanges ?? []).flatMap(([a, b]) => range(a, b)));
  const lostWrites = ofKind(timeline, 'write')
    .filter((w) => w.outcome === 'ok' && lostSeqs.has(w.seq))
    .sort((a, b) => a.seq - b.seq)
    .map((w) => ({ seq: w.seq, ackMs: (w.ack ?? w.t) - faultAt }));
  const lossWindowMs = input.lost?.rpoMs ?? 0;
  return {
    feed: input.feed,
    archiveTimeoutMs: input.archiveTimeoutMs,
    ...(input.redisSnapshotMs !== undefined ? { redisSnapshotMs: input.redisSnapshotMs } : {}),
    walShipped: wal.length,
    ...(sorted.length
      ? { walIntervalMedianMs: sorted[Math.floor(sorted.length / 2)], walIntervalMaxMs: sorted.at(-1) }
      : {}),
    ...(last ? { lastWal: { name: last.name, t: last.t, ageMs: faultAt - last.t } } : {}),
    ...(snapshot ? { lastSnapshot: { t: snapshot.t, ageMs: faultAt - snapshot.t } } : {}),
    lostWrites,
    lossWindowMs,
    ...(last && lostWrites.length ? { windowBeyondLastWalMs: lossWindowMs - (faultAt - last.t) } : {}),
    lostBeforeLastWal: last ? lostWrites.filter((w) => w.ackMs + faultAt < last.t).length : 0,
    ...(input.cache ? { cacheLost: input.cache.lostAckedWrites, cacheWindowMs: input.cache.windowMs } : {}),
  };
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}
