/**
 * The DR site's feed as an observer: it watches the DR site's copy of the WAL archive and its Redis snapshots
 * (on the host) and puts every file shipped there on the timeline, dated by the file itself. What the DR site
 * had when the primary site was lost, and the loss it explains, is measured from these events
 * (measure/shipping.ts).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EstateError } from '../core/errors.ts';
import type { ShipmentEvent } from '../measure/timeline.ts';
import { once, type Observer } from './observer.ts';

/** A WAL segment's file name (timeline, log, segment), not a history file or a partial segment. */
const SEGMENT = /^[0-9A-F]{24}$/;

export function shipping(opts: { intervalMs?: number } = {}): Observer {
  const intervalMs = opts.intervalMs ?? 50;
  return {
    name: 'shipping',
    start(ctx) {
      const dr = ctx.estate.sites?.dr;
      if (!dr) return Promise.reject(new EstateError('the shipping observer needs a two-site estate'));
      const seen = new Map<string, number>();
      const onClock = (mtimeMs: number) => mtimeMs - ctx.clock.originEpochMs;
      const emit = (what: ShipmentEvent['what'], name: string, mtimeMs: number) => {
        const key = `${what}:${name}`;
        if (seen.get(key) === mtimeMs) return;
        seen.set(key, mtimeMs);
        ctx.emit({ kind: 'shipment', t: onClock(mtimeMs), what, name, seen: ctx.clock.now() });
      };
      const scan = () => {
        for (const name of readdirSync(dr.walDir)) {
          if (!SEGMENT.test(name) || seen.has(`wal:${name}`)) continue;
          const st = statOf(join(dr.walDir, name));
          if (st) emit('wal', name, st.mtimeMs);
        }
        const rdb = statOf(join(dr.snapshotDir, 'dump.rdb'));
        if (rdb) emit('rdb', 'dump.rdb', rdb.mtimeMs);
      };
      scan();
      const timer = setInterval(() => {
        try {
          scan();
        } catch {
          // A directory being written to: the next scan sees it.
        }
      }, intervalMs);
      return Promise.resolve({
        name: 'shipping',
        stop: once(() => {
          clearInterval(timer);
          scan();
          return Promise.resolve();
        }),
      });
    },
  };
}

function statOf(path: string): { mtimeMs: number } | undefined {
  try {
    const st = statSync(path);
    return st.size > 0 ? st : undefined;
  } catch {
    return undefined;
  }
}
