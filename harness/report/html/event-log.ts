/** The event log: every phase, fault, step, switch and note, and the instants the RTO is made of, in order. */
import { formatDuration } from '../../core/duration.ts';
import type { DrillView, TimelineRow } from '../view.ts';
import { esc, fmt, rel, table, wall } from './parts.ts';

const ENDPOINT = { db: 'database endpoint', app: 'application endpoint' } as const;

function cells(row: TimelineRow): [string, string] {
  switch (row.kind) {
    case 'phase':
      return [
        `phase <strong>${esc(row.phase)}</strong>`,
        row.ok
          ? esc(`took ${fmt(row.durationMs)}`)
          : `<span class="fail-text">failed: ${esc(row.error ?? '')}</span>`,
      ];
    case 'fault':
      return [
        `fault <strong>${esc(row.state)}</strong>`,
        esc(`${row.name} → ${row.target}${row.detail ? ` (${row.detail})` : ''}`),
      ];
    case 'step':
      return [
        `step ${row.ok ? '' : '<span class="fail-text">FAILED</span>'}`,
        esc(`${row.name}: ${row.ok ? 'ok' : (row.error ?? '')} in ${formatDuration(row.durationMs)}`),
      ];
    case 'switch':
      return [
        '<strong>switch</strong>',
        esc(`${ENDPOINT[row.endpoint]}: ${row.from ?? 'an unrecorded role'} → ${row.to}`),
      ];
    case 'note':
      return ['note', esc(row.message)];
    case 'replication':
      return [`replication <strong>${esc(row.what)}</strong>`, esc(row.summary)];
    case 'alert':
      return [`alert <strong>${esc(row.state)}</strong>`, esc(row.summary)];
    case 'detected':
      return ['<strong>detected</strong>', 'first failed probe completed'];
    case 'recovered':
      return ['<strong>recovered (t_r)</strong>', 'start of sustained success'];
  }
}

export function eventLog(v: DrillView): string {
  return table(
    ['at', 'UTC', 'event', 'detail'],
    v.timeline.map((row) => [
      `<span class="nw">${esc(rel(v, row.t))}</span>`,
      `<span class="small nw">${esc(wall(v, row.t).slice(11))}</span>`,
      ...cells(row),
    ]),
    'events',
  );
}
