import { describe, expect, it } from 'vitest';
import { COMPLETE_EVIDENCE, sampleRecord, sampleRun } from '../../tests/fixtures/sample-record.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { runSummary } from './summary.ts';

describe('a fault clients never saw', () => {
  const r = sampleRecord({ noOutage: true });
  const { summary, records } = sampleRun([r]);

  it('is measured as RTO 0, not the offset of the first probe after the fault', () => {
    expect(r.measurements?.rto).toMatchObject({ status: 'recovered', outage: false, rtoMs: 0 });
    expect(runSummary(summary.runId, 'local', summary.startedAt, records).drills[0]?.measured.rtoMs).toBe(0);
  });

  it('is reported as "no outage" in report.md and report.html', () => {
    const md = renderMarkdown(summary, records);
    expect(md).toContain('- RTO: **0 ms: no outage** (no probe failed after the fault)');
    expect(md).not.toContain('37 ms');
    const html = renderHtml(summary, records, {
      artifacts: [],
      signing: { signed: false },
      revision: 1,
      generatedAt: '2026-11-27T12:00:06.000Z',
      drillbookVersion: '9.9.9',
      evidence: COMPLETE_EVIDENCE,
    });
    expect(html).toContain('<strong>0 ms: no outage</strong>');
  });
});
