/** The cleanup attestation: what was torn down (last created, first removed) and the leak check after it. */
import { formatDuration } from '../../core/duration.ts';
import type { DrillView } from '../view.ts';
import { esc, pass, table } from './parts.ts';

export function teardown(v: DrillView): string {
  const c = v.cleanup;
  if (c.kept)
    return '<p class="alert">Estate <strong>kept</strong> on request (<code>--keep</code>); it was not torn down. Remove it with <code>npx drill cleanup</code>.</p>';
  const rows = c.entries.map((t) => [
    esc(t.name),
    esc(formatDuration(t.durationMs)),
    `${pass(t.ok)} ${esc(t.error ?? '')}`,
  ]);
  const leak = c.leaks.length
    ? `<p class="alert"><strong>Leak check failed:</strong> ${esc(c.leaks.join('; '))}</p>`
    : '<p><span class="badge badge-passed">CLEAN</span> Leak check after teardown: no process, port, directory or container of this run left behind.</p>';
  return `${rows.length ? table(['torn down (last created, first removed)', 'took', 'result'], rows, 'compact') : '<p class="muted">Nothing was created.</p>'}${leak}`;
}
