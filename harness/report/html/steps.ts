/** The runbook steps: each step with what ran it (a runbook block or the harness), source, times, exit code, output. */
import { formatDuration } from '../../core/duration.ts';
import { VIA_WORDS, type DrillView } from '../view.ts';
import { esc, pass, rel, table, wall } from './parts.ts';

export function stepsTable(v: DrillView): string {
  const all = v.steps;
  if (all.length === 0) return '<p class="muted">No runbook step ran.</p>';
  return `${table(
    ['#', 'step', 'via', 'source', 'start', 'end', 'duration', 'exit code', 'result'],
    all.map((s) => [
      String(s.n),
      `<strong>${esc(s.name)}</strong>${s.phase === 'prepare' ? ' <span class="small muted">(preparation, before the fault)</span>' : ''}${s.output ? `<pre class="output">${esc(lastLines(s.output, 12))}</pre>` : ''}`,
      `<span class="small nw">${esc(VIA_WORDS[s.via])}</span>`,
      `<span class="small">${esc(s.source ?? '—')}</span>`,
      `<span class="nw">${esc(rel(v, s.t))}</span><br><span class="small muted">${esc(wall(v, s.t).slice(11))}</span>`,
      `<span class="nw">${esc(rel(v, s.end))}</span>`,
      esc(formatDuration(s.durationMs)),
      s.exitCode !== undefined ? esc(String(s.exitCode)) : '<span class="muted">—</span>',
      `${pass(s.ok)} ${esc(s.ok ? (s.detail ?? '') : (s.error ?? s.detail ?? ''))}`,
    ]),
    'steps',
  )}${all.some((s) => s.exitCode === undefined) ? '<p class="small muted">— in the exit code column: the step ran in-process (TypeScript against the estate), not as a command.</p>' : ''}`;
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.length > n
    ? [`… ${lines.length - n} earlier lines in the drill's JSON record`, ...lines.slice(-n)].join('\n')
    : text;
}
