import { randomBytes } from 'node:crypto';

/** Environment variable that labels every process a drill starts (found again by `drill cleanup`). */
export const RUN_ID_ENV = 'DRILL_RUN_ID';
/** Beside it, the drill of the run the process belongs to: drills of one run may run at once (`--parallel`). */
export const DRILL_ID_ENV = 'DRILL_DRILL_ID';
/** Name of the marker file in every directory a drill creates. */
export const RUN_MARKER = '.drillbook-run.json';
export const LABEL_RUN_ID = 'drillbook.run-id';
export const LABEL_DRILL = 'drillbook.drill';

/**
 * A run id sortable by time and unique enough to label resources: 20261127T161002Z-3f9a1c.
 */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const RUN_ID_RE = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;
export function isRunId(s: string): boolean {
  return RUN_ID_RE.test(s);
}

/** The labels put on everything one drill of a run creates. */
export function labels(runId: string, drillId: string): Record<string, string> {
  return { [LABEL_RUN_ID]: runId, [LABEL_DRILL]: drillId };
}
