/** Section 2: people and sign-off, entered by people; each missing entry is marked and keeps the report a draft. */
import type { EvidenceInput, MissingField } from '../evidence.ts';
import { code, esc, kv, missing, table } from './parts.ts';

export function people(ev: EvidenceInput | undefined, miss: readonly MissingField[]): string {
  const why = (field: string) => miss.find((m) => m.field === field);
  const cell = (value: string | undefined, field: string) => {
    const m = why(field);
    if (m) return `${value ? `${esc(value)} ` : ''}${missing(m.why)}`;
    return value ? esc(value) : '<span class="muted">—</span>';
  };
  const participants = ev?.participants.length
    ? table(
        ['name', 'role'],
        ev.participants.map((p) => [esc(p.name), esc(p.role)]),
        'compact',
      )
    : missing('who took part, and in which role');
  return `<section><h2>2. People and sign-off</h2>
<p class="muted">Entered by people (${code('--evidence FILE')}); drillbook cannot know them. Missing entries keep this report a draft.</p>
${kv([
  ['Participants and roles', participants],
  ['Controller', cell(ev?.controller, 'controller')],
  ['Independent validator', cell(ev?.validator, 'validator')],
  [
    'Sign-off',
    ev?.signOff
      ? `${esc(ev.signOff.name)}${ev.signOff.role ? `, ${esc(ev.signOff.role)}` : ''}, ${esc(ev.signOff.date)}`
      : missing('name and date of whoever accepts this report'),
  ],
])}
</section>`;
}
