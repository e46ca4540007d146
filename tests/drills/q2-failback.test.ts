/**
 * q2-failback on the local backend: after the DR activation, the primary site rebuilt from the DR site by
 * pg_rewind, replicating from it, then the planned switchover home under live traffic. No acknowledged write is
 * lost, checked against an independent read of the canary rows on the primary site's database of the kept
 * estate; the switchover's downtime is measured from live traffic.
 */
import { describe, it } from 'vitest';
import { assertFailback } from './sites.ts';

describe('failback on the local backend', () => {
  it('rebuilds the primary site by pg_rewind and comes home with no acked write lost', async () => {
    await assertFailback('local');
  }, 300_000);
});
