/** Integrity checks: the checks steps ran, the canary read-back, verifying steps and the data criteria. */
import type { DrillView } from '../view.ts';
import { esc, pass, table } from './parts.ts';

export function integrity(v: DrillView): string {
  if (v.evidence.length === 0)
    return '<p class="muted">No integrity check ran (the drill stopped before the read-back).</p>';
  return table(
    ['check', 'how / expected', 'result', 'verdict'],
    v.evidence.map((c) => [esc(c.name), esc(c.expected), esc(c.actual), pass(c.passed)]),
    'compact',
  );
}
