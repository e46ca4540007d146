import { UsageError } from './errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|min|[dhms])/gy;

/** A duration as written by people: '100ms', '30s', '1m30s', '4h', '1.5s'. */
export type DurationString = string;

/**
 * Parse a duration such as '30s' or '1m30s' into milliseconds. A bare number is not accepted: the unit is
 * what makes '30' unambiguous in a scenario or on the command line.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const s = text.trim();
  if (s === '') throw new UsageError(`${what}: empty duration (write e.g. '30s', '100ms', '4h')`);
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = PART.exec(s)) !== null) {
    total += Number(m[1]) * (UNITS[m[2] ?? ''] ?? NaN);
    consumed = PART.lastIndex;
  }
  if (consumed !== s.length || !Number.isFinite(total)) {
    throw new UsageError(`${what}: '${text}' is not a duration (write e.g. '30s', '100ms', '1m30s', '4h')`);
  }
  return total;
}

/** Milliseconds for people: '212 ms', '2.35 s', '1 min 5 s', '4 h'. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${round(a, a < 10 ? 2 : 0)} ms`;
  if (a < 60_000) return `${sign}${round(a / 1000, 2)} s`;
  if (a < 3_600_000) {
    const min = Math.floor(a / 60_000);
    const sec = Math.round((a % 60_000) / 1000);
    return `${sign}${min} min${sec ? ` ${sec} s` : ''}`;
  }
  const h = Math.floor(a / 3_600_000);
  const min = Math.round((a % 3_600_000) / 60_000);
  return `${sign}${h} h${min ? ` ${min} min` : ''}`;
}

function round(x: number, digits: number): string {
  return String(Number(x.toFixed(digits)));
}
