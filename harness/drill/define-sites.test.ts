import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { defineDrill, type DrillSpec } from './define.ts';

const spec = (sites: Partial<NonNullable<DrillSpec['estate']['sites']>>, standby = false): DrillSpec => ({
  id: 'two-sites',
  title: 't',
  quarter: 'Q2',
  description: 'd',
  runbookSection: 's',
  objectives: { rto: '4h', rpo: '1h' },
  estate: {
    postgres: { standby, replication: 'async' },
    redis: true,
    app: { version: 'v1' },
    sites: { feed: 'wal-shipping', archiveTimeoutMs: 2000, redisSnapshotMs: 2000, drApp: 'warm', ...sites },
  },
  procedure: () => [],
});

describe('defineDrill on two sites', () => {
  it('needs the sites capability', () => {
    expect(defineDrill(spec({})).needs).toEqual(['redis', 'sites']);
  });

  it('refuses an archive_timeout PostgreSQL cannot take', () => {
    expect(() => defineDrill(spec({ archiveTimeoutMs: 1500 }))).toThrow(
      new UsageError(
        'drill "two-sites": estate.sites.archiveTimeoutMs must be a whole number of seconds, at least 1 s',
      ),
    );
    expect(() => defineDrill(spec({ redisSnapshotMs: 0 }))).toThrow(/estate.sites.redisSnapshotMs/);
  });

  it('takes a standby at the primary site (Q1 before the site loss) and needs it of the backend', () => {
    expect(defineDrill(spec({}, true)).needs).toEqual(['standby', 'redis', 'sites']);
  });
});
