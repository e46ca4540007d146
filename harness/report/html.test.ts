import { describe, expect, it } from 'vitest';
import { renderHtml, type HtmlContext } from './html.ts';
import { COMPLETE_EVIDENCE, sampleRecord, sampleRun } from '../../tests/fixtures/sample-record.ts';
import { chartWindows, timelineSvg } from './timeline-svg.ts';

const ctx: HtmlContext = {
  artifacts: [{ path: 'summary.json', sha256: 'a'.repeat(64), size: 1234 }],
  events: { lines: 245, head: 'b'.repeat(64) },
  signing: { signed: false },
  revision: 1,
  generatedAt: '2026-11-27T12:00:06.000Z',
  drillbookVersion: '9.9.9',
};
const text = (html: string) =>
  html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^<>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('report.html', () => {
  const { summary, records } = sampleRun();
  const html = renderHtml(summary, records, ctx);

  it('covers every field of EVIDENCE.md', () => {
    const t = text(html);
    for (const label of [
      'Report ID',
      '20261127T120000Z-abc123.r1',
      'Schema version',
      'Run ID',
      'Automated functional test on a disposable estate',
      'not production',
      'Test type',
      'Fault and parameters',
      'kill -9 on postgres-primary (pid 4242)',
      'Runbook section exercised',
      'Runbook under test',
      'Switchover direction',
      'database endpoint: postgres-primary → postgres-standby (at t_f + 320 ms)',
      'Planned start / end',
      'Actual start / end',
      'PostgreSQL',
      '7712888201288354078',
      'drillbook version',
      '9.9.9',
      'Participants and roles',
      'Controller',
      'Independent validator',
      'Objectives vs measured',
      'Measured RTO',
      'detect',
      'decide',
      'recover',
      'stable',
      'resolution ±100 ms',
      'Measured RPO',
      'Lost acknowledged writes',
      'Restore target vs reached',
      'Integrity checks',
      'orders row count on postgres-standby',
      'Runbook steps',
      'exit code',
      'via',
      'runbook block',
      'runbook.md#L12',
      'Event log',
      'Deviations',
      'Teardown and leak check',
      'Leak check after teardown: no process, port, directory or container',
      'Findings',
      'Evidence manifest and integrity',
      'a'.repeat(64),
      'UNSIGNED',
      'Sign-off',
    ])
      expect(t, label).toContain(label);
  });

  it('is self-contained: no script, no external stylesheet, font or image, and a CSP that forbids fetching', () => {
    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)|<iframe/i);
    expect(new Set(html.match(/https?:\/\/[^"'\s<]+/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).toMatch(/@media print/);
  });

  it('is a DRAFT showing each missing people field, and not a draft once they are given', () => {
    expect(html).toContain('<title>DRAFT DR drill report');
    expect(text(html)).toMatch(
      /DRAFT: not yet an audit record\. 4 fields that people must fill are missing: participants , controller , validator , signOff/,
    );
    expect(html.match(/class="missing"/g)).toHaveLength(4);
    const full = renderHtml(summary, records, {
      ...ctx,
      evidence: COMPLETE_EVIDENCE,
      signing: { signed: true, fingerprint: 'SHA256:abc' },
    });
    expect(full).not.toMatch(/DRAFT|class="missing"/);
    const t = text(full);
    expect(t).toContain('Ada Lovelace SRE on call');
    expect(t).toContain('Edsger Dijkstra');
    expect(t).toContain('Barbara Liskov, Head of Infrastructure, 2026-11-28');
    expect(t).toMatch(/Promotion not alerted medium q1-db-failover Grace Hopper 2027-01-15/);
    expect(t).toContain('SIGNED manifest.json is signed with Ed25519');
  });

  it('escapes everything people or records put in', () => {
    const evil = renderHtml(summary, records, {
      ...ctx,
      evidence: { ...COMPLETE_EVIDENCE, controller: '<script>alert(1)</script>', deviations: ['a & b <i>'] },
    });
    expect(evil).not.toContain('<script>');
    expect(evil).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(evil).toContain('Reported by participants: a &amp; b &lt;i&gt;');
  });

  it('shows a missed objective, lost writes and an abort as such', () => {
    const miss = sampleRecord({ missRto: true, lost: [30, 31, 32] });
    const aborted = sampleRecord({ id: 'q1-db-failover-sync', aborted: true });
    const run = sampleRun([miss, aborted]);
    const t = text(renderHtml(run.summary, run.records, ctx));
    expect(t).toMatch(/rto <= 100 ms \d+ ms \(±100 ms\) FAIL RTO \d+ ms exceeded objective 100 ms/);
    expect(t).toMatch(/Lost acknowledged writes 3 \(seq 30–32\)/);
    expect(t).toContain('Objectives were overridden on the command line');
    expect(t).toContain('Aborted in phase procedure: aborted: SIGINT');
    expect(t).toMatch(/Detected by the harness/);
    expect(t).toMatch(/the drill did not pass: record at least one finding with an owner/);
  });
});

describe('the timeline picture', () => {
  it('marks the fault, detection and recovery, every probe and write by outcome, and the steps', () => {
    const r = sampleRecord({ lost: [20] });
    const win = chartWindows(r);
    expect(win.zoom).toBeDefined();
    const svg = timelineSvg(r, win.overview, { id: 't', title: 'Whole drill' });
    expect(svg).toMatch(/^<svg class="timeline" role="img"/);
    expect(svg).toContain('fault injected (t_f)');
    expect(svg).toMatch(/first failed probe \+\d/);
    expect(svg).toMatch(/recovered \(t_r\) \+500 ms/);
    expect(svg).toContain('RTO 500 ms');
    expect(svg).toContain('<title>probe #15 at t_f: FAILED 503, served by app-1</title>');
    expect(svg).toContain('<title>probe #20 at t_f +500 ms: ok 200, served by app-1 (db port 5002)</title>');
    expect(svg).toMatch(/<title>write #20 at t_f −[^<]*: acknowledged, then LOST/);
    expect(svg).toMatch(/<title>step 1: promote postgres-standby: ok in 298 ms/);
    expect(svg).toContain('kill -9 → postgres-primary');
    // Every probe in the window is drawn (merged only when two fall in the same 2 px column).
    const marks = svg.match(/<title>probe #/g) ?? [];
    expect(marks.length).toBe(40);
  });
});
