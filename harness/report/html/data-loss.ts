/** Data loss: the measured RPO, the canary writes and what became of them, and a restore's target vs reached. */
import { formatDuration } from '../../core/duration.ts';
import { seqRanges, type DrillView } from '../view.ts';
import { esc, fmt, kv, pass } from './parts.ts';

export function dataLoss(v: DrillView): string {
  const rpo = v.rpo;
  if (!rpo) return '<p class="muted">Not measured: no canary read-back (the drill stopped before it).</p>';
  const ranges = seqRanges(rpo.lostSeqRanges);
  const refused = rpo.sentWrites - rpo.ackedWrites - rpo.recoveredWrites - rpo.indeterminateAbsent;
  return kv([
    [
      'Measured RPO',
      `<strong>${esc(formatDuration(rpo.rpoMs))}</strong> (objective ${esc(fmt(v.objectives.rpoMs))}); window = t_f − ack time of the last safe write before the first lost one`,
    ],
    [
      'Canary writes',
      esc(
        `${rpo.sentWrites} sent, ${rpo.ackedWrites} acknowledged, ${refused} refused (the application said not committed)`,
      ),
    ],
    [
      'Lost acknowledged writes',
      `<strong>${rpo.lostAckedWrites}</strong>${ranges ? ` (seq ${esc(ranges)})` : ''}; acknowledged before the fault: ${rpo.lostBeforeFault}, after: ${rpo.lostAfterFault}`,
    ],
    ...(rpo.lastSafeSeq !== undefined
      ? [
          [
            'Last safe write',
            esc(`seq ${rpo.lastSafeSeq}; first lost seq ${rpo.firstLostSeq ?? '?'}`),
          ] as const,
        ]
      : []),
    [
      'Indeterminate writes',
      esc(
        `${rpo.recoveredWrites} present afterwards, ${rpo.indeterminateAbsent} absent (never acknowledged, so not counted as lost)`,
      ),
    ],
    [
      'Restore target vs reached',
      restoreChecks(v) || '<span class="muted">not applicable: no restore from backup in this drill</span>',
    ],
    // The replication to the standby, related to the loss above (mode, lag before the fault, its price).
    ...(v.replicationLag?.rows.map(([k, t]) => [k, esc(t)] as const) ?? []),
    // Two sites: what the DR site had when the primary site was lost, related to the loss above.
    ...(v.shipping?.rows.map(([k, t]) => [k, esc(t)] as const) ?? []),
  ]);
}

/** The checks of kind `restore-target` (point-in-time recovery), when the drill restored from a backup. */
function restoreChecks(v: DrillView): string {
  return v.restoreChecks
    .map((c) => `${pass(c.passed)} ${esc(`${c.name}: expected ${c.expected}, reached ${c.actual}`)}`)
    .join('<br>');
}
