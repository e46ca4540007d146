import { describe, expect, it } from 'vitest';
import type { DrillRecord } from '../record/record.ts';
import { COMPLETE_EVIDENCE, sampleRecord, sampleRun } from '../../tests/fixtures/sample-record.ts';
import { esc } from './escape.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { drillView } from './view.ts';

const ctx = {
  artifacts: [],
  signing: { signed: false as const },
  revision: 1,
  generatedAt: '2026-11-27T12:00:06.000Z',
  drillbookVersion: '9.9.9',
  evidence: COMPLETE_EVIDENCE,
};

describe('the DR site feed of a two-site drill', () => {
  it('lists exactly which acked writes were lost and relates them to the last shipped segment, in every format', () => {
    const base = sampleRecord({ backend: 'local' });
    const r: DrillRecord = {
      ...base,
      settings: {
        ...base.settings,
        sites: { feed: 'wal-shipping', archiveTimeoutMs: 2000, redisSnapshotMs: 2000, drApp: 'warm' },
      },
      measurements: {
        ...base.measurements,
        shipping: {
          feed: 'wal-shipping',
          archiveTimeoutMs: 2000,
          redisSnapshotMs: 2000,
          walShipped: 4,
          walIntervalMedianMs: 1900,
          walIntervalMaxMs: 2000,
          lastWal: { name: '00000001000000000000000E', t: 2400, ageMs: 600 },
          lastSnapshot: { t: 1800, ageMs: 1200 },
          lostWrites: [
            { seq: 41, ackMs: -580 },
            { seq: 42, ackMs: -300 },
          ],
          lossWindowMs: 620,
          windowBeyondLastWalMs: 20,
          lostBeforeLastWal: 0,
          cacheLost: 60,
          cacheWindowMs: 1210,
        },
      },
    };
    const v = drillView(r);
    expect(v.shipping?.rows.map(([k]) => k)).toEqual([
      'DR site feed',
      'WAL shipped before the fault',
      'Last segment shipped before the fault',
      'Loss window against the shipping',
      'Acknowledged writes lost',
      'Redis keys lost against the snapshot',
    ]);
    expect(v.scope).toContain('a DR site (standby restoring shipped WAL, shipped Redis snapshots, warm app)');
    const lost = '2: seq 41 (acked 580 ms before t_f), seq 42 (acked 300 ms before t_f)';
    const against = "620 ms = the last segment's age 600 ms + 20 ms";
    const { summary, records } = sampleRun([r]);
    const html = renderHtml(summary, records, ctx);
    for (const text of [renderMarkdown(summary, records)]) {
      expect(text).toContain('### DR site feed');
      expect(text).toContain(`- Acknowledged writes lost: ${lost}`);
      expect(text).toContain(against);
      expect(text).toContain('00000001000000000000000E, arrived 600 ms before t_f');
      expect(text).toContain(
        '60 acknowledged keys lost, window 1.21 s; the last snapshot shipped was 1.2 s old at t_f',
      );
    }
    expect(html).toContain(lost);
    expect(html).toContain(esc(against));
  });
});
