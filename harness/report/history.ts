import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUARTERS, type Quarter } from '../record/record.ts';
import type { DrillStatus } from '../record/record.ts';
import type { RunSummary } from './summary.ts';

/** `<report-dir>/history.jsonl`: one line per drill of every run, the drill calendar's memory. */
export const HISTORY_FILE = 'history.jsonl';

export interface HistoryEntry {
  runId: string;
  drillId: string;
  /** A routine's runs are remembered too, but the calendar is of DR drills only. */
  quarter: Quarter | 'routine';
  status: DrillStatus;
  finishedAt: string;
  /** The run directory, relative to the report directory (so a copied report directory still works). */
  runDir: string;
}

export function historyEntries(summary: RunSummary, runDir: string): HistoryEntry[] {
  return summary.drills.map((d) => ({
    runId: summary.runId,
    drillId: d.id,
    quarter: d.quarter,
    status: d.status,
    finishedAt: summary.finishedAt,
    runDir,
  }));
}

export function appendHistory(reportDir: string, entries: readonly HistoryEntry[]): void {
  if (entries.length === 0) return;
  mkdirSync(reportDir, { recursive: true });
  appendFileSync(join(reportDir, HISTORY_FILE), entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
}

export interface ParsedHistory {
  entries: HistoryEntry[];
  /** Lines that could not be used, 1-based, with why: shown, never silently dropped. */
  skipped: { line: number; reason: string }[];
}

export function parseHistory(text: string): ParsedHistory {
  const entries: HistoryEntry[] = [];
  const skipped: ParsedHistory['skipped'] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let v: Partial<HistoryEntry>;
    try {
      v = JSON.parse(line) as Partial<HistoryEntry>;
    } catch {
      skipped.push({ line: i + 1, reason: 'not valid JSON' });
      continue;
    }
    if (
      typeof v.runId !== 'string' ||
      typeof v.drillId !== 'string' ||
      !(QUARTERS.includes(v.quarter as Quarter) || v.quarter === 'routine') ||
      !['passed', 'failed', 'error'].includes(v.status as string) ||
      typeof v.finishedAt !== 'string' ||
      Number.isNaN(Date.parse(v.finishedAt))
    ) {
      skipped.push({
        line: i + 1,
        reason: 'missing or invalid runId, drillId, quarter, status or finishedAt',
      });
      continue;
    }
    entries.push({ ...(v as HistoryEntry), runDir: typeof v.runDir === 'string' ? v.runDir : v.runId });
  }
  return { entries, skipped };
}

export function readHistory(reportDir: string): ParsedHistory {
  const file = join(reportDir, HISTORY_FILE);
  return existsSync(file) ? parseHistory(readFileSync(file, 'utf8')) : { entries: [], skipped: [] };
}

export interface DrillFreshness {
  drillId: string;
  quarter: Quarter;
  title?: string;
  /** In the scenario catalogue (false: only in history, e.g. a renamed or removed drill). */
  known: boolean;
  lastRun?: HistoryEntry;
  lastPassed?: HistoryEntry;
  /** Age of the last passing run at `now`. */
  passedAgeMs?: number;
  /** With a max age: whether the last pass is recent enough. Unknown drills are never stale. */
  stale?: boolean;
}

export interface Calendar {
  now: string;
  maxAgeMs?: number;
  quarters: { quarter: Quarter; drills: DrillFreshness[] }[];
  /** Known drills with no passing run within the max age (empty without a max age). */
  stale: DrillFreshness[];
}

/**
 * The drill calendar: per quarter and per known drill, the last passing run and its age. With `maxAgeMs`, every
 * known drill needs a passing run no older than that (CI gates on `stale` being empty).
 */
export function drillCalendar(
  entries: readonly HistoryEntry[],
  drills: readonly { id: string; quarter: Quarter; title: string }[],
  now: Date,
  maxAgeMs?: number,
): Calendar {
  const latest = (xs: HistoryEntry[]) =>
    xs.reduce<HistoryEntry | undefined>(
      (best, e) => (!best || Date.parse(e.finishedAt) > Date.parse(best.finishedAt) ? e : best),
      undefined,
    );
  const freshness = (drillId: string, quarter: Quarter, known: boolean, title?: string): DrillFreshness => {
    const runs = entries.filter((e) => e.drillId === drillId);
    const lastRun = latest(runs);
    const lastPassed = latest(runs.filter((e) => e.status === 'passed'));
    const passedAgeMs = lastPassed ? now.getTime() - Date.parse(lastPassed.finishedAt) : undefined;
    return {
      drillId,
      quarter,
      ...(title ? { title } : {}),
      known,
      ...(lastRun ? { lastRun } : {}),
      ...(lastPassed ? { lastPassed } : {}),
      ...(passedAgeMs !== undefined ? { passedAgeMs } : {}),
      ...(maxAgeMs !== undefined && known
        ? { stale: passedAgeMs === undefined || passedAgeMs > maxAgeMs }
        : {}),
    };
  };
  const knownIds = new Set(drills.map((d) => d.id));
  const quarters = QUARTERS.map((quarter) => {
    const rows = drills
      .filter((d) => d.quarter === quarter)
      .map((d) => freshness(d.id, quarter, true, d.title));
    const others = [
      ...new Set(
        entries.filter((e) => e.quarter === quarter && !knownIds.has(e.drillId)).map((e) => e.drillId),
      ),
    ];
    rows.push(...others.sort().map((id) => freshness(id, quarter, false)));
    return { quarter, drills: rows };
  });
  return {
    now: now.toISOString(),
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
    quarters,
    stale: quarters.flatMap((q) => q.drills.filter((d) => d.stale)),
  };
}

/** An age for people: '42 s', '17 min', '5 h', '12 d'. */
export function formatAge(ms: number): string {
  const a = Math.max(0, ms);
  if (a < 1000) return `${Math.round(a)} ms`;
  if (a < 60_000) return `${Math.round(a / 1000)} s`;
  if (a < 3_600_000) return `${Math.round(a / 60_000)} min`;
  if (a < 2 * 86_400_000) return `${Math.round(a / 3_600_000)} h`;
  return `${Math.round(a / 86_400_000)} d`;
}

/** The calendar for a terminal. */
export function renderCalendar(cal: Calendar): string {
  const width = Math.max(12, ...cal.quarters.flatMap((q) => q.drills.map((d) => d.drillId.length)));
  const lines: string[] = [];
  for (const q of cal.quarters) {
    if (q.drills.length === 0) {
      lines.push(`${q.quarter}  ${'(no drill defined)'.padEnd(width)}  -`);
      continue;
    }
    q.drills.forEach((d, i) => {
      const head = `${i === 0 ? q.quarter : '  '}  ${d.drillId.padEnd(width)}  `;
      const mark = d.stale === undefined ? '' : d.stale ? 'STALE  ' : 'ok     ';
      const passed = d.lastPassed
        ? `last passed ${d.lastPassed.finishedAt} (${formatAge(d.passedAgeMs ?? 0)} ago) run ${d.lastPassed.runId}`
        : 'never passed';
      const last =
        d.lastRun && d.lastRun !== d.lastPassed
          ? `; last run ${d.lastRun.status} ${d.lastRun.finishedAt} (run ${d.lastRun.runId})`
          : d.lastRun
            ? ''
            : '; never run';
      lines.push(`${head}${mark}${passed}${last}${d.known ? '' : ' [not in the catalogue]'}`);
    });
  }
  if (cal.maxAgeMs !== undefined)
    lines.push(
      '',
      cal.stale.length === 0
        ? `every drill has a passing run within ${formatAge(cal.maxAgeMs)}`
        : `${cal.stale.length} drill(s) without a passing run within ${formatAge(cal.maxAgeMs)}: ${cal.stale.map((d) => `${d.drillId} (${d.quarter})`).join(', ')}`,
    );
  return `${lines.join('\n')}\n`;
}
