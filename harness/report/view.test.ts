import { describe, expect, it } from 'vitest';
import type { DrillRecord } from '../record/record.ts';
import { COMPLETE_EVIDENCE, sampleRecord, sampleRun } from '../../tests/fixtures/sample-record.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { drillView, switchover } from './view.ts';

const ctx = {
  artifacts: [],
  signing: { signed: false as const },
  revision: 1,
  generatedAt: '2026-11-27T12:00:06.000Z',
  drillbookVersion: '9.9.9',
  evidence: COMPLETE_EVIDENCE,
};

/** Every format's statement of the switchover, for one record. */
function formats(r: DrillRecord): { md: string; html: string; junit: string } {
  const { summary, records } = sampleRun([r]);
  return {
    md: renderMarkdown(summary, records),
    html: renderHtml(summary, records, ctx),
    junit: renderJunit(summary, records),
  };
}

describe('the switchover sentence', () => {
  const failover = 'database endpoint: postgres-primary → postgres-standby (at t_f + 320 ms)';

  it('names the standby on a local-shaped record (each server on its own port)', () => {
    const r = sampleRecord({ backend: 'local' });
    expect(switchover(r).sentence).toBe(failover);
    const f = formats(r);
    expect(f.md).toContain(`- Switchover: ${failover}`);
    expect(f.html).toContain(`<th scope="row">Switchover direction</th><td>${failover}</td>`);
    expect(f.junit).toContain(`switchover: ${failover}`);
  });

  it('names the standby on a docker-shaped record, where primary and standby share port 5432', () => {
    const r = sampleRecord({ backend: 'docker' });
    // The probes saw the same database port before and after: only the switch event tells the roles apart.
    const ports = new Set(r.timeline.flatMap((e) => (e.kind === 'probe' && e.dbPort ? [e.dbPort] : [])));
    expect([...ports]).toEqual([5432]);
    expect(r.timeline).toContainEqual(
      expect.objectContaining({
        kind: 'note',
        message: 'postgres-standby streaming (async) on postgres-standby:5432',
      }),
    );
    expect(switchover(r).sentence).toBe(failover);
    const f = formats(r);
    expect(f.md).toContain(`- Switchover: ${failover}`);
    expect(f.html).toContain(`<th scope="row">Switchover direction</th><td>${failover}</td>`);
    expect(f.md).not.toMatch(/no switchover|stayed on/);
    expect(f.html).not.toMatch(/no switchover|stayed on/);
  });

  it('says "no switchover" only when no switch event was recorded, whatever the probes and notes say', () => {
    const r = sampleRecord({ noSwitch: true });
    expect(switchover(r).sentence).toBe('no switchover: no client endpoint changed the role it leads to');
    expect(formats(r).md).toContain('- Switchover: no switchover');
  });

  it('chains every switch of each endpoint, and states one of an unrecorded origin as such', () => {
    const r = sampleRecord();
    r.timeline.push(
      { kind: 'switch', t: 3900, endpoint: 'db', from: 'postgres-standby', to: 'pitr-target' },
      { kind: 'switch', t: 4000, endpoint: 'app', to: 'app-v1' },
    );
    expect(switchover(r).sentence).toBe(
      'database endpoint: postgres-primary → postgres-standby (at t_f + 320 ms) → pitr-target (at t_f + 900 ms); ' +
        'application endpoint: an unrecorded role → app-v1 (at t_f + 1 s)',
    );
  });
});

describe('the view shared by report.html and report.md', () => {
  it('says what ran each step, places restore checks by kind, and lists verifying steps among the checks', () => {
    const r = sampleRecord();
    r.checks.push({
      name: 'where replay stopped',
      kind: 'restore-target',
      expected: '<= 2026-11-27 12:00:03.000+00',
      actual: '2026-11-27 12:00:02.990+00',
      passed: true,
    });
    r.timeline.push({
      kind: 'step',
      name: 'writes land on the new primary',
      t: 3330,
      end: 3350,
      ok: true,
      verifies: true,
      via: 'harness',
      detail: 'order 67 found',
    });
    const v = drillView(r);
    expect(v.steps.map((s) => [s.n, s.via])).toEqual([
      [1, 'runbook-block'],
      [2, 'harness'],
      [3, 'harness'],
    ]);
    expect(v.restoreChecks.map((c) => c.name)).toEqual(['where replay stopped']);
    expect(v.evidence.filter((c) => c.from === 'verifying-step').map((c) => c.name)).toEqual([
      'writes land on the new primary',
    ]);
    // A check whose name merely mentions a restore is not placed as one: only its kind says so.
    r.checks.push({ name: 'restore target reached?', expected: 'x', actual: 'x', passed: true });
    expect(drillView(r).restoreChecks).toHaveLength(1);
    expect(v.timeline.filter((row) => row.kind === 'switch')).toHaveLength(1);
    expect(v.cleanup.clean).toBe(true);
  });
});

describe('the replication around the fault', () => {
  it('states the mode, the lag, pg_stat_replication before the kill and the RPO against the lag, in every format', () => {
    const base = sampleRecord({ backend: 'local' });
    const tf = base.faultAt ?? 3000;
    const sample = {
      state: 'streaming',
      syncState: 'async',
      writeLagMs: null,
      flushLagMs: null,
      replayLagMs: null,
      unsentBytes: 0,
      unwrittenBytes: 16_384,
      unflushedBytes: 16_384,
      unreplayedBytes: 16_384,
      replyAgeMs: 1000,
    };
    const r: DrillRecord = {
      ...base,
      timeline: [
        ...base.timeline,
        { kind: 'replication', t: tf - 1000, what: 'link-stalled' },
        { kind: 'replication', t: tf - 2, what: 'sample', sample },
      ],
      measurements: {
        ...base.measurements,
        ...(base.measurements?.rpo
          ? { rpo: { ...base.measurements.rpo, lostAckedWrites: 50, lostSeqRanges: [[10, 59]], rpoMs: 1010 } }
          : {}),
        replication: {
          mode: 'async',
          lagMs: 1000,
          beforeFault: sample,
          duringLag: {
            sent: 50,
            acked: 50,
            refused: 0,
            waiting: 0,
            ackLatencyP50Ms: 8,
            ackLatencyMaxMs: 15,
            commitStallMs: 15,
          },
          rpoMinusLagMs: 10,
        },
      },
    };
    const v = drillView(r);
    expect(v.replicationLag?.rows.map(([k]) => k)).toEqual([
      'Replication mode',
      'Replication lag injected',
      'Replication just before the fault',
      'Writes during the lag',
      'Commit stall',
      'RPO against the lag',
    ]);
    const against =
      'RPO 1.01 s = the lag 1 s + 10 ms: the acknowledged writes the standby never received (50) are the data loss';
    const before = '16.0 kB not flushed and 16.0 kB not replayed on the standby';
    const f = formats(r);
    expect(f.md).toContain(`- RPO against the lag: ${against}`);
    expect(f.md).toContain(before);
    expect(f.md).toContain('| replication: link-stalled |');
    expect(f.html).toContain(against);
    expect(f.html).toContain(before);
  });
});
