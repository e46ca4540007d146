import { formatDuration } from '../core/duration.ts';
import { mdCode, mdText } from './md-escape.ts';
import type { RunSummary } from './summary.ts';

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));
const cell = mdText;
const ICON = { passed: '✅', failed: '❌', error: '⚠️' } as const;

/**
 * The run for a CI job page ($GITHUB_STEP_SUMMARY): verdicts, objectives vs measured, why anything failed, and
 * where the evidence is. A pure function of the summary.
 */
export function renderStepSummary(
  summary: RunSummary,
  opts: { runDir: string; signed: boolean; draft: boolean },
): string {
  const lines = [
    `### ${ICON[summary.status]} drillbook run ${mdCode(summary.runId)}: ${summary.status.toUpperCase()}`,
    '',
    `Backend ${mdCode(summary.backend)} (automated functional test on a disposable estate, not production) · ${cell(summary.startedAt)} → ${cell(summary.finishedAt)}`,
    '',
    '| drill | quarter | status | RTO measured / objective | RPO measured / objective | lost acked writes |',
    '| --- | --- | --- | --- | --- | --- |',
    ...summary.drills.map(
      (d) =>
        `| ${cell(d.id)} | ${cell(d.quarter)} | ${ICON[d.status]} ${d.status} | ${fmt(d.measured.rtoMs)} / ${fmt(d.objectives.rtoMs)} | ${fmt(d.measured.rpoMs)} / ${fmt(d.objectives.rpoMs)} | ${d.measured.lostAckedWrites ?? '—'} of ${d.measured.ackedWrites ?? '—'} |`,
    ),
    '',
  ];
  const why = summary.drills.filter((d) => d.status !== 'passed').flatMap((d) => d.messages);
  if (why.length) lines.push(...why.map((m) => `- ${cell(m)}`), '');
  lines.push(
    `Evidence: ${mdCode(opts.runDir)} (report.html, junit.xml, manifest.json${opts.signed ? ', signature.json' : ''}); ` +
      `${opts.signed ? 'signed (Ed25519)' : '**unsigned**'}${opts.draft ? '; report is a **draft** (people still have to fill fields)' : ''}. ` +
      `Check with ${mdCode(`npx drill verify ${opts.runDir}`)}.`,
    '',
  );
  return lines.join('\n');
}
