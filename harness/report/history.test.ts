import { describe, expect, it } from 'vitest';
import { drillCalendar, formatAge, parseHistory, renderCalendar, type HistoryEntry } from './history.ts';

const DAY = 86_400_000;
const now = new Date('2026-11-27T12:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY).toISOString();
const entry = (
  drillId: string,
  status: HistoryEntry['status'],
  days: number,
  runId = `run-${drillId}-${days}`,
): HistoryEntry => ({
  runId,
  drillId,
  quarter: 'Q1',
  status,
  finishedAt: ago(days),
  runDir: runId,
});
const drills = [
  { id: 'q1-db-failover', quarter: 'Q1' as const, title: 'failover' },
  { id: 'q1-db-failover-sync', quarter: 'Q1' as const, title: 'failover sync' },
  { id: 'q3-data-corruption', quarter: 'Q3' as const, title: 'pitr' },
];

describe('the drill calendar', () => {
  it('shows per quarter and drill the last passing run and its age, whatever order history is in', () => {
    const entries = [
      entry('q1-db-failover', 'passed', 10),
      entry('q1-db-failover', 'passed', 40),
      entry('q1-db-failover', 'failed', 2),
    ];
    const cal = drillCalendar(entries, drills, now);
    expect(cal.quarters.map((q) => [q.quarter, q.drills.map((d) => d.drillId)])).toEqual([
      ['Q1', ['q1-db-failover', 'q1-db-failover-sync']],
      ['Q2', []],
      ['Q3', ['q3-data-corruption']],
      ['Q4', []],
    ]);
    const d = cal.quarters[0]?.drills[0];
    expect(d?.lastPassed?.runId).toBe('run-q1-db-failover-10');
    expect(d?.passedAgeMs).toBe(10 * DAY);
    expect(d?.lastRun?.status).toBe('failed');
    expect(cal.stale).toEqual([]);
    const text = renderCalendar(cal);
    expect(text).toMatch(
      /^Q1 {2}q1-db-failover +last passed .* \(10 d ago\) run run-q1-db-failover-10; last run failed/m,
    );
    expect(text).toMatch(/^ {4}q1-db-failover-sync +never passed; never run/m);
    expect(text).toMatch(/^Q2 {2}\(no drill defined\)/m);
  });

  it('with a max age, every known drill needs a recent passing run; drills only in history do not gate', () => {
    const entries = [
      entry('q1-db-failover', 'passed', 10),
      entry('q1-db-failover-sync', 'passed', 120),
      entry('q1-db-failover-sync', 'failed', 1),
      entry('q1-old-drill', 'passed', 400),
    ];
    const cal = drillCalendar(entries, drills, now, 100 * DAY);
    expect(cal.stale.map((d) => d.drillId)).toEqual(['q1-db-failover-sync', 'q3-data-corruption']);
    const old = cal.quarters[0]?.drills.find((d) => d.drillId === 'q1-old-drill');
    expect(old).toMatchObject({ known: false });
    expect(old?.stale).toBeUndefined();
    expect(renderCalendar(cal)).toMatch(
      /2 drill\(s\) without a passing run within 100 d: q1-db-failover-sync \(Q1\), q3-data-corruption \(Q3\)/,
    );
    expect(
      drillCalendar([entry('q1-db-failover', 'passed', 0)], drills.slice(0, 1), now, 1).stale,
    ).toHaveLength(0);
    expect(
      drillCalendar([entry('q1-db-failover', 'passed', 1)], drills.slice(0, 1), now, 1).stale,
    ).toHaveLength(1);
  });

  it('reads history.jsonl, reporting lines it cannot use instead of failing', () => {
    const good = JSON.stringify(entry('q1-db-failover', 'passed', 1));
    const parsed = parseHistory(
      `${good}\n{broken\n${JSON.stringify({ runId: 'x', drillId: 'y', quarter: 'Q9' })}\n\n`,
    );
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.skipped).toEqual([
      { line: 2, reason: 'not valid JSON' },
      { line: 3, reason: expect.stringMatching(/invalid/) as unknown },
    ]);
  });

  it('formats ages for people', () => {
    expect([formatAge(5_000), formatAge(17 * 60_000), formatAge(5 * 3_600_000), formatAge(12 * DAY)]).toEqual(
      ['5 s', '17 min', '5 h', '12 d'],
    );
  });
});
