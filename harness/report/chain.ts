import { createHash } from 'node:crypto';
import { drillStatus, type DrillRecord } from '../record/record.ts';
import type { RunSummary } from './summary.ts';

/** The `prev` of the first line: there is nothing before it. */
export const GENESIS = '0'.repeat(64);

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One line of events.jsonl. `prev` is the sha256 (hex) of the previous line's bytes, without its newline. */
export interface ChainLine {
  seq: number;
  prev: string;
  runId: string;
  drill?: string;
  /** Wall-clock label (drill start + t); durations come from `event.t`, the drill's monotonic clock. */
  at?: string;
  event: Record<string, unknown>;
}

export interface EventLog {
  text: string;
  lines: number;
  /** sha256 of the last line: recorded in the manifest, so dropping lines from the end is detected too. */
  head: string;
}

/**
 * events.jsonl: the run's timelines as a hash-chained log. Every line carries the sha256 of the line before it,
 * so changing, inserting, reordering or removing a line breaks the chain at that place.
 */
export function buildEventLog(summary: RunSummary, records: readonly DrillRecord[]): EventLog {
  const out: string[] = [];
  let prev = GENESIS;
  const push = (line: Omit<ChainLine, 'seq' | 'prev' | 'runId'>) => {
    const text = JSON.stringify({ seq: out.length, prev, runId: summary.runId, ...line });
    out.push(text);
    prev = sha256Hex(text);
  };
  push({
    at: summary.startedAt,
    event: { kind: 'run-start', backend: summary.backend, drills: records.map((r) => r.drill.id) },
  });
  for (const r of records) {
    const start = Date.parse(r.startedAt);
    const at = (t: number) => (Number.isFinite(start) ? new Date(start + t).toISOString() : undefined);
    push({ drill: r.drill.id, at: r.startedAt, event: { kind: 'drill-start', quarter: r.drill.quarter } });
    for (const e of r.timeline) {
      const when = at(e.t);
      push({ drill: r.drill.id, ...(when ? { at: when } : {}), event: { ...e } });
    }
    push({
      drill: r.drill.id,
      at: r.finishedAt,
      event: {
        kind: 'drill-end',
        status: drillStatus(r),
        ...(r.error ? { error: r.error.message, aborted: r.error.aborted } : {}),
      },
    });
  }
  push({ at: summary.finishedAt, event: { kind: 'run-end', status: summary.status } });
  return { text: `${out.join('\n')}\n`, lines: out.length, head: prev };
}

export type ChainCheck =
  { ok: true; lines: number; head: string } | { ok: false; line: number; reason: string };

/** Check every link of an events.jsonl text. Line numbers in the answer are 1-based, as editors show them. */
export function verifyEventLog(text: string): ChainCheck {
  if (text === '') return { ok: false, line: 1, reason: 'the log is empty' };
  if (!text.endsWith('\n'))
    return { ok: false, line: text.split('\n').length, reason: 'the last line is cut off' };
  const lines = text.slice(0, -1).split('\n');
  let prev = GENESIS;
  for (const [i, line] of lines.entries()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return { ok: false, line: i + 1, reason: 'not valid JSON (altered)' };
    }
    const l = parsed as Partial<ChainLine>;
    if (l.seq !== i) return { ok: false, line: i + 1, reason: `seq is ${String(l.seq)}, expected ${i}` };
    if (l.prev !== prev)
      return {
        ok: false,
        line: i + 1,
        reason:
          i === 0
            ? 'the first line does not start the chain'
            : `prev does not match the sha256 of line ${i} (line ${i} was altered, or a line inserted or removed)`,
      };
    prev = sha256Hex(line);
  }
  return { ok: true, lines: lines.length, head: prev };
}
