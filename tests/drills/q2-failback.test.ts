/**
 * q2-failback on the local backend: after the DR activation, the primary site rebuilt from the DR site by
 * pg_rewind, replicating from it, then the planned switchover home under live traffic. No acknowledged write is
 * lost, checked against an independent read of the canary rows on the primary site's database of the kept
 * estate; the switchover's downtime is measured from live traffic.
 */
import { describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { computeRpo } from '../../harness/measure/rpo.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { runKeptSites } from './sites.ts';

describe('failback on the local backend', () => {
  it('rebuilds the primary site by pg_rewind and comes home with no acked write lost', async () => {
    const run = await runKeptSites('local', ['q2-failback'], 'primary');
    const d = run.drills[0];
    if (!d) throw new Error('no drill in the run');
    const { summary: s, record, present } = d;
    expect(s.status).toBe('passed');
    const writes = ofKind(record.timeline, 'write');
    const acked = writes.filter((w) => w.outcome === 'ok');
    expect(acked.length).toBeGreaterThan(50);
    // Every acknowledged write is on the primary site's database, read directly.
    const independent = computeRpo(writes, present, record.faultAt ?? NaN);
    expect(independent.lostAckedWrites).toBe(0);
    expect(independent.unexpectedSeqs).toEqual([]);
    expect(s.measured.lostAckedWrites).toBe(0);
    for (const w of acked) expect(present.has(w.seq), `seq ${w.seq}`).toBe(true);
    // Writes went on during the switchover: some acknowledged after t_f, by the primary site.
    expect(acked.some((w) => w.t > (record.faultAt ?? Infinity) + (s.measured.rtoMs ?? 0))).toBe(true);
    // Redis was handed over with nothing acknowledged lost.
    expect(record.measurements?.cache?.lostAckedWrites).toBe(0);

    const steps = ofKind(record.timeline, 'step');
    const rebuild = steps.find((e) => e.name.startsWith('rebuild postgres-primary'));
    expect(rebuild?.detail).toMatch(/rebuilt from the DR database by pg_rewind/);
    expect(steps.filter((e) => e.phase === 'procedure').map((e) => e.via)).toEqual(
      Array(3).fill('runbook-block'),
    );
    const switches = ofKind(record.timeline, 'switch').map((e) => `${e.from}→${e.to}`);
    expect(switches).toEqual(['postgres-primary→postgres-dr', 'postgres-dr→postgres-primary']);
    // The downtime of the switchover, measured from live traffic.
    expect(s.measured.rtoMs).toBeGreaterThan(0);
    expect(s.measured.rtoMs).toBeLessThan(s.objectives.rtoMs ?? 0);
    console.log(
      `q2-failback: ${acked.length} acked writes, 0 lost (independent read: ${independent.lostAckedWrites}); switchover downtime ${s.measured.rtoMs} ms; ${rebuild?.detail ?? ''}`,
    );
    expect(labelledProcesses(run.runId)).toEqual([]);
  }, 300_000);
});
