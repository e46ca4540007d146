/**
 * The DR site's feed in words, for every format (a part of the view model): how the DR site was fed, what it
 * had when the primary site was lost, and how that explains exactly which acknowledged writes and keys were
 * lost. A pure function of the record.
 */
import { formatDuration } from '../core/duration.ts';
import type { DrillRecord } from '../record/record.ts';

export interface ShippingView {
  rows: [label: string, text: string][];
}

export function shippingView(r: DrillRecord): ShippingView | undefined {
  const s = r.measurements?.shipping;
  const sites = r.settings.sites;
  if (!s || !sites) return undefined;
  const rows: [string, string][] = [
    [
      'DR site feed',
      `WAL segments shipped through the archive (archive_timeout ${formatDuration(s.archiveTimeoutMs)})` +
        `${s.feed === 'streaming' ? ' and streamed' : ''}; a Redis RDB snapshot every ${formatDuration(sites.redisSnapshotMs)}, ` +
        `shipped once written; the app ${sites.drApp === 'warm' ? 'warm (running, not serving)' : 'cold (not started)'}`,
    ],
    [
      'WAL shipped before the fault',
      `${s.walShipped} segments while observed` +
        (s.walIntervalMedianMs !== undefined
          ? `; interval median ${formatDuration(s.walIntervalMedianMs)}, max ${formatDuration(s.walIntervalMaxMs ?? 0)}`
          : ''),
    ],
    [
      'Last segment shipped before the fault',
      s.lastWal
        ? `${s.lastWal.name}, arrived ${formatDuration(s.lastWal.ageMs)} before t_f: everything committed before its switch reached the DR site`
        : 'none while observed',
    ],
    [
      'Loss window against the shipping',
      s.lostWrites.length === 0
        ? 'no acknowledged write lost'
        : `${formatDuration(s.lossWindowMs)}` +
          (s.windowBeyondLastWalMs !== undefined
            ? ` = the last segment's age ${formatDuration(s.lossWindowMs - s.windowBeyondLastWalMs)} ${s.windowBeyondLastWalMs < 0 ? '−' : '+'} ${formatDuration(Math.abs(s.windowBeyondLastWalMs))} (its switch before its arrival, the last kept write's acknowledgement after its commit)`
            : '') +
          `; lost writes acknowledged before it arrived: ${s.lostBeforeLastWal}`,
    ],
    [
      'Acknowledged writes lost',
      s.lostWrites.length === 0
        ? 'none'
        : `${s.lostWrites.length}: ` +
          s.lostWrites.map((w) => `seq ${w.seq} (acked ${formatDuration(-w.ackMs)} before t_f)`).join(', '),
    ],
  ];
  if (s.cacheLost !== undefined)
    rows.push([
      'Redis keys lost against the snapshot',
      `${s.cacheLost} acknowledged keys lost, window ${formatDuration(s.cacheWindowMs ?? 0)}; ` +
        (s.lastSnapshot
          ? `the last snapshot shipped was ${formatDuration(s.lastSnapshot.ageMs)} old at t_f`
          : 'no snapshot shipped while observed'),
    ]);
  return { rows };
}
