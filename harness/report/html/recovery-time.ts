/** Recovery time: the measured RTO with its resolution, and its phases (detect, decide, recover, stable). */
import { formatDuration } from '../../core/duration.ts';
import type { DrillView } from '../view.ts';
import { esc, fmt, kv, rel, table } from './parts.ts';

export function recoveryTime(v: DrillView): string {
  const rto = v.rto;
  if (!rto)
    return v.instants.faultAt === undefined && !v.error
      ? '<p class="muted">Not applicable: this drill injects no fault; it verifies a procedure and is judged by its checks.</p>'
      : '<p class="muted">Not measured: the drill stopped before recovery could be observed.</p>';
  if (rto.status !== 'recovered')
    return `<p class="alert">Not recovered: ${esc(rto.reason)} (${rto.failedProbes} of ${rto.probesAfterFault} probes after the fault failed).</p>`;
  const rows = v.recoveryPhases.map((p) => [
    `<strong>${esc(p.name)}</strong>`,
    esc(p.what),
    p.from !== undefined ? esc(rel(v, p.from)) : '—',
    p.to !== undefined ? esc(rel(v, p.to)) : '—',
    p.from !== undefined && p.to !== undefined ? esc(formatDuration(p.to - p.from)) : '—',
  ]);
  return `${kv([
    [
      'Measured RTO',
      rto.outage
        ? `<strong>${esc(formatDuration(rto.rtoMs))}</strong> = t_r − t_f (resolution ±${esc(fmt(rto.resolutionMs))}, the probe interval)`
        : '<strong>0 ms: no outage</strong> (no probe failed after the fault)',
    ],
    ['Objective', esc(fmt(v.objectives.rtoMs))],
    [
      'Probes after the fault',
      esc(
        `${rto.probesAfterFault}, of which ${rto.failedProbes} failed${rto.outage ? '' : ' (no outage visible to clients)'}`,
      ),
    ],
  ])}
${table(['phase', 'what', 'from', 'to', 'duration'], rows, 'compact')}`;
}
