import { describe, expect, it } from 'vitest';
import { renderJunit } from './junit.ts';
import { sampleRecord, sampleRun } from '../../tests/fixtures/sample-record.ts';

describe('junit.xml', () => {
  it('is one testsuite per run with runId/backend properties and one testcase per drill, classname = quarter', () => {
    const { summary, records } = sampleRun([sampleRecord(), sampleRecord({ id: 'q1-db-failover-sync' })]);
    const xml = renderJunit(summary, records);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(xml.match(/<testsuite /g)).toHaveLength(1);
    expect(xml).toMatch(
      /<testsuite name="drillbook run 20261127T120000Z-abc123" tests="2" failures="0" errors="0"/,
    );
    expect(xml).toContain('<property name="runId" value="20261127T120000Z-abc123"/>');
    expect(xml).toContain('<property name="backend" value="local"/>');
    expect(xml).toMatch(/<testcase name="q1-db-failover" classname="Q1" time="4\.700">/);
    expect(xml).toMatch(/<testcase name="q1-db-failover-sync" classname="Q1"/);
    expect(xml).not.toMatch(/<failure|<error/);
  });

  it('a missed objective is a failure naming measured vs objective; an aborted drill is an error', () => {
    const { summary, records } = sampleRun([
      sampleRecord({ missRto: true }),
      sampleRecord({ id: 'q1-db-failover-sync', aborted: true }),
    ]);
    const xml = renderJunit(summary, records);
    expect(xml).toMatch(/tests="2" failures="1" errors="1"/);
    expect(xml).toMatch(
      /<failure message="RTO \d+ ms exceeded objective 100 ms for &quot;q1-db-failover&quot;" type="objective">rto: measured \d+ ms \(±100 ms\), objective &lt;= 100 ms<\/failure>/,
    );
    expect(xml).toMatch(
      /<error message="q1-db-failover-sync: aborted: SIGINT" type="aborted">phase: procedure \(aborted\)<\/error>/,
    );
  });

  it('escapes what would break the XML', () => {
    const r = sampleRecord({ id: 'q1-x' });
    r.criteria[0] = { ...r.criteria[0]!, passed: false, message: 'a <b> & "c" \u0001' };
    const xml = renderJunit(sampleRun([r]).summary, [r]);
    expect(xml).toContain('message="a &lt;b&gt; &amp; &quot;c&quot; "');
  });
});
