/** The pre-deployment checklist: every item with its status, what it saw or what to do, and its runbook line. */
import type { ChecklistView } from '../view.ts';
import { esc, table } from './parts.ts';

const STATUS = {
  pass: '<span class="badge badge-passed">PASS</span>',
  fail: '<span class="badge badge-failed">FAIL</span>',
  skip: '<span class="badge badge-error">SKIP</span>',
} as const;

export function checklist(c: ChecklistView): string {
  return `<h4>Pre-deployment checklist</h4>
<p>${esc(c.summary)}</p>
${table(
  ['section', 'item', 'status', 'what it saw / what to do', 'runbook'],
  c.items.map((i) => [
    esc(i.section),
    esc(i.name),
    STATUS[i.status],
    esc(i.status === 'pass' ? i.detail : (i.reason ?? i.detail)),
    `<code>${esc(i.source)}</code>`,
  ]),
  'compact',
)}`;
}
