/** The timeline pictures of a drill (the whole drill, and a close-up of the outage) with their legend. */
import type { DrillRecord } from '../../record/record.ts';
import { chartWindows, COLORS, timelineSvg } from '../timeline-svg.ts';
import { esc } from './parts.ts';

export function timelineFigure(r: DrillRecord, index: number): string {
  const win = chartWindows(r);
  const charts = [
    timelineSvg(r, win.overview, {
      id: `tl-${index}-all`,
      title: 'Whole drill (provisioning and teardown left out)',
    }),
    ...(win.zoom
      ? [
          timelineSvg(r, win.zoom, {
            id: `tl-${index}-zoom`,
            title: 'Close-up of the outage: fault to confirmed recovery',
          }),
        ]
      : []),
  ];
  return `<figure class="chart">${charts.join('\n')}
<figcaption>${legend()}</figcaption></figure>`;
}

function legend(): string {
  const sw = (color: string, label: string, tall = false) =>
    `<span class="lg"><svg width="10" height="14" aria-hidden="true"><rect x="3" y="${tall ? 0 : 4}" width="4" height="${tall ? 14 : 7}" fill="${color}"/></svg>${esc(label)}</span>`;
  const line = (color: string, label: string) =>
    `<span class="lg"><svg width="14" height="14" aria-hidden="true"><line x1="7" x2="7" y1="0" y2="14" stroke="${color}" stroke-width="2"/></svg>${esc(label)}</span>`;
  return [
    sw(COLORS.ok, 'probe ok / write acknowledged'),
    sw(COLORS.fail, 'probe failed', true),
    sw(COLORS.refused, 'write refused (not committed)'),
    sw(COLORS.indeterminate, 'write indeterminate'),
    sw(COLORS.lost, 'acknowledged write LOST', true),
    sw(COLORS.step, 'runbook step (numbered as in the steps table)', true),
    line(COLORS.fault, 'fault injected (t_f)'),
    line(COLORS.detect, 'first failed probe'),
    line(COLORS.recovered, 'recovered (t_r)'),
  ].join(' ');
}
