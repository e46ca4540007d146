import { describe, expect, it } from 'vitest';
import { buildEventLog, GENESIS, sha256Hex, verifyEventLog } from './chain.ts';
import { sampleRun } from '../../tests/fixtures/sample-record.ts';

const { summary, records } = sampleRun();
const log = buildEventLog(summary, records);
const lines = log.text.slice(0, -1).split('\n');

describe('events.jsonl hash chain', () => {
  it('holds every timeline event between run-start and run-end, each line linked to the one before', () => {
    const timeline = records[0]?.timeline.length ?? 0;
    // run-start, drill-start, the timeline, drill-end, run-end
    expect(log.lines).toBe(timeline + 4);
    const first = JSON.parse(lines[0] ?? '') as { prev: string; event: { kind: string } };
    expect(first.prev).toBe(GENESIS);
    expect(first.event.kind).toBe('run-start');
    const second = JSON.parse(lines[1] ?? '') as { prev: string };
    expect(second.prev).toBe(sha256Hex(lines[0] ?? ''));
    expect(log.head).toBe(sha256Hex(lines.at(-1) ?? ''));
    expect(verifyEventLog(log.text)).toEqual({ ok: true, lines: log.lines, head: log.head });
  });

  it('gives every event a wall-clock label derived from the drill start', () => {
    const fault = lines.map((l) => JSON.parse(l) as { at?: string; event: { kind: string; state?: string } });
    const injected = fault.find((l) => l.event.kind === 'fault' && l.event.state === 'injected');
    expect(injected?.at).toBe('2026-11-27T12:00:03.000Z');
  });

  it('names the line after an altered one', () => {
    const altered = [...lines];
    altered[10] = (altered[10] ?? '').replace('"t":', '"t": ');
    const check = verifyEventLog(`${altered.join('\n')}\n`);
    expect(check).toMatchObject({ ok: false, line: 12 });
    if (!check.ok) expect(check.reason).toMatch(/line 11 was altered/);
  });

  it('detects a removed, an inserted and a swapped line, and a cut-off end', () => {
    const removed = lines.filter((_, i) => i !== 5);
    expect(verifyEventLog(`${removed.join('\n')}\n`)).toMatchObject({ ok: false, line: 6 });
    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4] ?? '', swapped[3] ?? ''];
    expect(verifyEventLog(`${swapped.join('\n')}\n`)).toMatchObject({ ok: false, line: 4 });
    expect(verifyEventLog(log.text.slice(0, -5))).toMatchObject({ ok: false });
    expect(verifyEventLog('')).toMatchObject({ ok: false, line: 1 });
  });

  it('a line that is not JSON is reported as such', () => {
    const broken = [...lines];
    broken[2] = '{not json';
    expect(verifyEventLog(`${broken.join('\n')}\n`)).toMatchObject({
      ok: false,
      line: 3,
      reason: expect.stringMatching(/not valid JSON/) as unknown,
    });
  });
});
