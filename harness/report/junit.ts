import { drillStatus, scheduleOf, type DrillRecord } from '../record/record.ts';
import { esc as xmlEscape } from './escape.ts';
import type { RunSummary } from './summary.ts';
import { switchover } from './view.ts';

const secs = (ms: number) => (ms / 1000).toFixed(3);

/**
 * junit.xml: one testsuite per run, one testcase per drill (classname = quarter), so CI systems show drills
 * like tests. A missed objective is a <failure> naming measured vs objective; a drill that could not complete
 * (abort, broken estate) is an <error>: inconclusive, never passed.
 */
export function renderJunit(summary: RunSummary, records: readonly DrillRecord[]): string {
  const statuses = records.map(drillStatus);
  const failures = statuses.filter((s) => s === 'failed').length;
  const errors = statuses.filter((s) => s === 'error').length;
  const total = records.reduce((a, r) => a + r.durationMs, 0);
  const attrs = (o: Record<string, string | number>) =>
    Object.entries(o)
      .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
      .join('');
  const props: Record<string, string> = {
    runId: summary.runId,
    backend: summary.backend,
    status: summary.status,
    ...(summary.drillbookVersion ? { drillbookVersion: summary.drillbookVersion } : {}),
  };
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'drillbook', tests: records.length, failures, errors, time: secs(total) })}>`,
    `  <testsuite${attrs({
      name: `drillbook run ${summary.runId}`,
      tests: records.length,
      failures,
      errors,
      skipped: 0,
      time: secs(total),
      timestamp: summary.startedAt.replace(/\.\d+Z$/, 'Z'),
    })}>`,
    '    <properties>',
    ...Object.entries(props).map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    '    </properties>',
  ];
  for (const [i, r] of records.entries()) {
    const status = statuses[i];
    out.push(
      `    <testcase${attrs({ name: r.drill.id, classname: scheduleOf(r.drill), time: secs(r.durationMs) })}>`,
    );
    const failed = r.criteria.filter((c) => !c.passed);
    if (status === 'error') {
      const message = r.error
        ? `${r.drill.id}: ${r.error.message}`
        : `${r.drill.id}: no criterion could be evaluated (inconclusive)`;
      const detail = [
        r.error ? `phase: ${r.error.phase}${r.error.aborted ? ' (aborted)' : ''}` : '',
        ...failed.map((c) => `${c.name}: measured ${c.measured}, objective ${c.objective}`),
      ].filter(Boolean);
      out.push(
        `      <error${attrs({ message, type: r.error?.aborted ? 'aborted' : 'inconclusive' })}>${xmlEscape(detail.join('\n'))}</error>`,
      );
    } else if (status === 'failed') {
      out.push(
        `      <failure${attrs({ message: failed.map((c) => c.message).join('; '), type: 'objective' })}>${xmlEscape(
          failed.map((c) => `${c.name}: measured ${c.measured}, objective ${c.objective}`).join('\n'),
        )}</failure>`,
      );
    }
    out.push(
      `      <system-out>${xmlEscape(
        [
          ...r.criteria.map((c) => `${c.passed ? 'pass' : 'FAIL'} ${c.name}: ${c.message}`),
          `switchover: ${switchover(r).sentence}`,
        ].join('\n'),
      )}</system-out>`,
      '    </testcase>',
    );
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
