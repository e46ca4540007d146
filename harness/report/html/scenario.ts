/** A drill's scenario: the file, the runbook section and document under test, the fault, the switchover, how traffic was measured. */
import type { DrillView } from '../view.ts';
import { code, esc, fmt, kv, wall } from './parts.ts';

export function scenario(v: DrillView): string {
  const rb = v.runbook;
  const m = v.measurement;
  return kv([
    ['Scenario file', v.source ? code(v.source) : esc(v.id)],
    ['Runbook section exercised', esc(v.runbookSection)],
    [
      'Runbook under test',
      rb
        ? `${code(rb.path)} · sha256 ${code(rb.sha256)}${rb.gitCommit ? ` · git commit ${code(rb.gitCommit)}` : ''}`
        : `<span class="muted">no runbook document recorded: the procedure is the step list of ${v.source ? code(v.source) : 'the scenario'} (see Runbook steps)</span>`,
    ],
    [
      'Fault and parameters',
      v.faults.length
        ? v.faults
            .map(
              (f) =>
                `${code(f.name)} on ${esc(f.target)}${f.detail ? ` (${esc(f.detail)})` : ''}, injected at ${esc(wall(v, f.t))}`,
            )
            .join('<br>')
        : '<span class="muted">no fault was injected</span>',
    ],
    ['Switchover direction', esc(v.switchover.sentence)],
    [
      'Measurement',
      esc(
        v.stages
          ? `each stage's own probes and canary writes, as its scenario declares them (${m.probesSent} probes and ${m.writesSent} canary writes in all)`
          : `probes of ${m.probePath} every ${fmt(m.probeIntervalMs)} through the router (${m.probesSent} sent); canary writes every ${fmt(m.writeIntervalMs)} (${m.writesSent} sent); recovered = ${m.consecutive} consecutive successful probes with no failure for ${fmt(m.settleMs)} after`,
      ),
    ],
  ]);
}
