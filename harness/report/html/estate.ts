/** Estate identity and versions: what an auditor matches against the real system. */
import type { DrillView } from '../view.ts';
import { esc, kv } from './parts.ts';

export function estate(v: DrillView, version: string): string {
  const e = v.estate;
  if (!e) return '<p class="muted">Not provisioned: no identity to record.</p>';
  const na = `<span class="muted">not applicable on the ${esc(e.backend)} backend</span>`;
  const images = e.images
    ? Object.entries(e.images)
        .map(([role, ref]) => `${esc(role)}: <code>${esc(ref)}</code>`)
        .join('<br>')
    : '<span class="muted">not applicable on the local backend (system binaries, no images)</span>';
  return kv([
    ['Backend', esc(`${e.backend} on ${e.platform}`)],
    [
      'PostgreSQL',
      esc(
        `${e.postgresVersion ?? 'unknown version'}; system identifier ${e.postgresSystemIdentifier ?? 'unknown'}`,
      ),
    ],
    ['Redis', e.redisVersion ? esc(e.redisVersion) : '<span class="muted">not part of this estate</span>'],
    ['Application', esc(e.appVersion)],
    ['Image digests', images],
    ['Cluster UID', na],
    ['Node.js', esc(e.nodeVersion)],
    ['drillbook', esc(version)],
  ]);
}
