/** Deviations: what the harness saw go other than planned, and what participants reported. */
import type { EvidenceInput } from '../evidence.ts';
import type { DrillView } from '../view.ts';
import { esc } from './parts.ts';

export function deviations(v: DrillView, ev: EvidenceInput | undefined): string {
  const items = v.deviations;
  const human = ev?.deviations ?? [];
  return `<ul class="deviations">${
    items.length
      ? items.map((i) => `<li class="fail-text">${esc(i)}</li>`).join('')
      : '<li>None recorded by the harness: every phase and step ran once, in order, and succeeded; no retries; the harness made no manual intervention.</li>'
  }${
    human.length
      ? human.map((d) => `<li>Reported by participants: ${esc(d)}</li>`).join('')
      : '<li class="muted">None reported by participants (manual interventions, retries by hand, changes to the plan).</li>'
  }</ul>`;
}
