/**
 * Synthetic drill records for the report tests: a Q1 failover with a short outage, with knobs for what the
 * report must show differently (an objective miss, lost writes, an abort). Built by hand, not by the runner, so
 * the report tests do not depend on an estate.
 */
import type { DrillRecord } from '../drill/record.ts';
import { computeRpo } from '../measure/rpo.ts';
import { computeRto } from '../measure/rto.ts';
import type { ProbeEvent, TimelineEvent, WriteEvent } from '../measure/timeline.ts';
import type { EvidenceInput } from './evidence.ts';
import { runSummary, type RunSummary } from './summary.ts';

export interface SampleOptions {
  id?: string;
  runId?: string;
  /** Acked writes (by seq) absent after recovery. */
  lost?: number[];
  /** Make the RTO objective smaller than the measured RTO. */
  missRto?: boolean;
  /** The drill stopped in the procedure phase (SIGINT). */
  aborted?: boolean;
  title?: string;
}

export function sampleRecord(o: SampleOptions = {}): DrillRecord {
  const id = o.id ?? 'q1-db-failover';
  const runId = o.runId ?? '20261127T120000Z-abc123';
  const tf = 3000;
  const timeline: TimelineEvent[] = [
    { kind: 'phase', phase: 'plan', t: 0, end: 1, ok: true },
    { kind: 'phase', phase: 'provision', t: 1, end: 1500, ok: true },
    { kind: 'note', t: 600, message: 'postgres-primary up on 127.0.0.1:5001' },
    { kind: 'note', t: 1000, message: 'postgres-standby streaming (async) on 127.0.0.1:5002' },
    { kind: 'phase', phase: 'steady', t: 1500, end: tf - 1, ok: true },
    { kind: 'phase', phase: 'fault', t: tf - 1, end: tf + 1, ok: true },
    { kind: 'fault', state: 'intent', t: tf - 0.5, name: 'kill -9', target: 'postgres-primary' },
    {
      kind: 'fault',
      state: 'injected',
      t: tf,
      name: 'kill -9',
      target: 'postgres-primary',
      detail: 'pid 4242',
    },
    { kind: 'phase', phase: 'procedure', t: tf + 1, end: tf + 400, ok: !o.aborted },
    {
      kind: 'step',
      name: 'promote postgres-standby',
      t: tf + 2,
      end: tf + 300,
      ok: true,
      source: 'runbook.md#L12',
      exitCode: 0,
      detail: 'accepts writes on timeline 2',
    },
    {
      kind: 'step',
      name: 'repoint db traffic to postgres-standby',
      t: tf + 300,
      end: tf + 320,
      ok: true,
      source: 'runbook.md#L20',
    },
  ];
  const probes: ProbeEvent[] = [];
  for (let i = 0; i < 40; i++) {
    const t = 1500 + i * 100;
    const down = t >= tf && t < tf + 500;
    probes.push({
      kind: 'probe',
      seq: i,
      t,
      end: t + 5,
      ok: !down,
      status: down ? 503 : 200,
      servedBy: 'app-1',
      ...(down ? {} : { dbPort: t < tf ? 5001 : 5002 }),
    });
  }
  const writes: WriteEvent[] = [];
  for (let i = 0; i < 100; i++) {
    const t = 1500 + i * 40;
    const down = t >= tf && t < tf + 480;
    writes.push(
      down
        ? { kind: 'write', seq: i, t, outcome: 'fail', status: 503 }
        : { kind: 'write', seq: i, t, ack: t + 4, outcome: 'ok', status: 201 },
    );
  }
  timeline.push(...probes, ...writes);
  const lost = new Set(o.lost ?? []);
  const present = new Set(writes.filter((w) => w.outcome === 'ok' && !lost.has(w.seq)).map((w) => w.seq));
  const rto = computeRto(probes, {
    faultAt: tf,
    observedUntil: 6000,
    intervalMs: 100,
    consecutive: 5,
    settleMs: 500,
  });
  const rpo = computeRpo(writes, present, tf);
  timeline.push(
    { kind: 'phase', phase: 'recovery', t: tf + 400, end: tf + 1500, ok: true },
    { kind: 'phase', phase: 'after', t: tf + 1500, end: tf + 1520, ok: true },
    { kind: 'phase', phase: 'teardown', t: tf + 1530, end: tf + 1700, ok: true },
    { kind: 'fault', state: 'reverted', t: tf + 1531, name: 'kill -9', target: 'postgres-primary' },
  );
  const rtoMs = rto.status === 'recovered' ? rto.rtoMs : NaN;
  const rtoObjective = o.missRto ? 100 : 1_800_000;
  const record: DrillRecord = {
    schemaVersion: 1,
    drill: {
      id,
      title: o.title ?? 'Database failure: failover to standby (async replication)',
      quarter: 'Q1',
      description: 'The primary dies under traffic; the standby is promoted.',
      runbookSection: 'Disaster Recovery Plan > DR scenarios > 1',
      source: `scenarios/${id}.ts`,
    },
    runId,
    backend: 'local',
    startedAt: '2026-11-27T12:00:00.000Z',
    finishedAt: '2026-11-27T12:00:04.700Z',
    durationMs: tf + 1700,
    objectives: { rtoMs: rtoObjective, rpoMs: 3_600_000 },
    objectiveSources: { rto: o.missRto ? 'override' : 'scenario', rpo: 'scenario' },
    settings: {
      probeIntervalMs: 100,
      probePath: '/ready',
      writeIntervalMs: 40,
      consecutive: 5,
      settleMs: 500,
      replication: 'async',
    },
    estate: {
      backend: 'local',
      postgresVersion: '15.18',
      postgresSystemIdentifier: '7712888201288354078',
      appVersion: 'v1',
      nodeVersion: 'v20.20.2',
      platform: 'linux-x64',
    },
    faultAt: tf,
    timeline,
    measurements: { rto, rpo, canaryRowsRead: present.size, presentSeqRanges: [[0, 36]] },
    criteria: [
      {
        name: 'rto',
        objective: `<= ${rtoObjective} ms`,
        measured: `${rtoMs} ms (±100 ms)`,
        passed: rtoMs <= rtoObjective,
        message:
          rtoMs <= rtoObjective
            ? `RTO ${rtoMs} ms within objective ${rtoObjective} ms for "${id}"`
            : `RTO ${rtoMs} ms exceeded objective ${rtoObjective} ms for "${id}"`,
      },
      {
        name: 'cleanup',
        objective: 'nothing left behind',
        measured: '5 resources torn down, none left',
        passed: true,
        message: 'teardown complete, leak check clean',
      },
    ],
    checks: [{ name: 'orders row count on postgres-standby', expected: '3', actual: '3', passed: true }],
    teardown: {
      kept: false,
      results: [{ name: 'stop postgres-standby (port 5002)', ok: true, durationMs: 20 }],
      leaks: [],
    },
  };
  if (o.aborted) {
    record.error = { phase: 'procedure', message: 'aborted: SIGINT', aborted: true };
    record.criteria = [];
  }
  return record;
}

export function sampleRun(records: DrillRecord[] = [sampleRecord()]): {
  summary: RunSummary;
  records: DrillRecord[];
} {
  const first = records[0];
  return {
    summary: runSummary(
      first?.runId ?? 'none',
      'local',
      first?.startedAt ?? '2026-11-27T12:00:00.000Z',
      records,
    ),
    records,
  };
}

/** Evidence with every field people must fill. */
export const COMPLETE_EVIDENCE: EvidenceInput = {
  participants: [
    { name: 'Ada Lovelace', role: 'SRE on call' },
    { name: 'Grace Hopper', role: 'DBA' },
  ],
  controller: 'Ada Lovelace',
  validator: 'Edsger Dijkstra',
  findings: [
    { title: 'Promotion not alerted', severity: 'medium', owner: 'Grace Hopper', due: '2027-01-15' },
  ],
  deviations: [],
  signOff: { name: 'Barbara Liskov', date: '2026-11-28', role: 'Head of Infrastructure' },
};
