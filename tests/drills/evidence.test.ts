/**
 * Tamper evidence and the drill calendar, as a user sees them: a signed run with people's evidence, `drill
 * verify` on it intact and after changing or deleting any one file, and `drill status` before and after.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../harness/report/manifest.ts';
import { drill, drillInOwnTmp, readSummary, reportDirOf } from '../cli.ts';

const work = mkdtempSync(join(tmpdir(), 'drill-evidence-test-'));
const keys = join(work, 'keys');
const reports = join(work, 'reports');
const evidenceFile = join(work, 'evidence.json');
writeFileSync(
  evidenceFile,
  JSON.stringify({
    participants: [
      { name: 'Ada Lovelace', role: 'SRE on call' },
      { name: 'Grace Hopper', role: 'DBA' },
    ],
    controller: 'Ada Lovelace',
    validator: 'Edsger Dijkstra',
    findings: [{ title: 'No alert on promotion', severity: 'low', owner: 'Grace Hopper', due: '2027-01-15' }],
    signOff: { name: 'Barbara Liskov', date: '2026-11-28', role: 'Head of Infrastructure' },
  }),
);

function flipMiddleByte(file: string): void {
  const bytes = readFileSync(file);
  const i = Math.floor(bytes.length / 2);
  bytes[i] = (bytes[i] ?? 0) ^ 0x01;
  writeFileSync(file, bytes);
}

describe('a signed run with evidence', () => {
  let dir = '';
  let runId = '';
  const pub = join(keys, 'drill-signing-key.pub.pem');

  beforeAll(async () => {
    const before = await drill(['status', '--report-dir', reports]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^Q1 {2}q1-db-failover +never passed; never run$/m);

    const keygen = await drill(['keygen', '--out', keys]);
    expect(keygen.code, keygen.stderr).toBe(0);
    expect(keygen.stdout).toMatch(/fingerprint: SHA256:/);
    expect(statSync(join(keys, 'drill-signing-key.pem')).mode & 0o777).toBe(0o600);

    const res = await drill([
      'run',
      'q1-db-failover',
      '--report-dir',
      reports,
      '--evidence',
      evidenceFile,
      '--signing-key',
      join(keys, 'drill-signing-key.pem'),
    ]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^report: .*\/report\.html$/m);
    dir = reportDirOf(res.stdout);
    runId = readSummary(dir).runId;
  });

  it('leaves every artifact, a final (not draft) report, JUnit and a signed manifest over all of them', () => {
    const files = readdirSync(dir).sort();
    expect(files).toEqual(
      [
        'events.jsonl',
        'evidence.json',
        'junit.xml',
        'manifest.json',
        'q1-db-failover.json',
        'report.html',
        'report.md',
        'signature.json',
        'summary.json',
      ].sort(),
    );
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      files.filter((f) => f !== 'manifest.json' && f !== 'signature.json'),
    );
    expect(manifest.signing).toMatchObject({ signed: true, algorithm: 'ed25519' });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/DRAFT/);
    expect(html).toContain('Edsger Dijkstra');
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase name="q1-db-failover" classname="Q1" time="[\d.]+">/);
    expect(junit).toContain(`<property name="runId" value="${runId}"/>`);
  });

  it('drill verify exits 0; without --public-key it says that proves integrity, not who signed', async () => {
    const trusted = await drill(['verify', dir, '--public-key', pub]);
    expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0);
    expect(trusted.stdout).toMatch(/verified: .* is intact, signed by the given key/);
    const embedded = await drill(['verify', dir]);
    expect(embedded.code).toBe(0);
    expect(embedded.stdout).toMatch(/proves the files are unchanged since signing, not who signed/);
  });

  it.each([
    'summary.json',
    'q1-db-failover.json',
    'report.md',
    'report.html',
    'junit.xml',
    'events.jsonl',
    'evidence.json',
    'manifest.json',
    'signature.json',
  ])('changing one byte of %s, or deleting it, makes drill verify exit 1 naming it', async (name) => {
    for (const tamper of ['change', 'delete'] as const) {
      const copy = join(mkdtempSync(join(work, 'tampered-')), runId);
      cpSync(dir, copy, { recursive: true });
      if (tamper === 'change') flipMiddleByte(join(copy, name));
      else rmSync(join(copy, name));
      const res = await drill(['verify', copy, '--public-key', pub]);
      expect(res.code, `${tamper} ${name}: ${res.stdout}${res.stderr}`).toBe(1);
      expect(res.stderr, `${tamper} ${name}`).toMatch(
        new RegExp(`drill verify: FAILED: .*${name.replace('.', '\\.')}`),
      );
    }
  });

  it('drill status lists Q1 with the run just made; --max-age 1ms exits 1', async () => {
    const status = await drill(['status', '--report-dir', reports]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^Q1 {2}q1-db-failover +last passed \\S+ \\(\\d+ s ago\\) run ${runId}$`, 'm'),
    );
    const json = await drill(['status', '--report-dir', reports, '--json']);
    const cal = JSON.parse(json.stdout) as {
      quarters: { quarter: string; drills: { drillId: string; lastPassed?: { runId: string } }[] }[];
    };
    expect(cal.quarters[0]?.drills.find((d) => d.drillId === 'q1-db-failover')?.lastPassed?.runId).toBe(
      runId,
    );
    const stale = await drill(['status', '--report-dir', reports, '--max-age', '1ms']);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/STALE/);
    expect(stale.stdout).toMatch(/without a passing run within 1 ms: .*q1-db-failover \(Q1\)/);
  });
});

describe('bad report input starts nothing', () => {
  const badEvidence = join(work, 'bad-evidence.json');
  writeFileSync(badEvidence, JSON.stringify({ participants: [{ name: 'Ada' }] }));
  const badKey = join(work, 'bad-key.pem');
  writeFileSync(badKey, 'not a key');

  it.each([
    [
      ['run', 'q1-db-failover', '--evidence', badEvidence],
      /evidence file .*bad-evidence\.json: participants\[0\]\.role must be a non-empty string/,
    ],
    [
      ['run', 'q1-db-failover', '--signing-key', badKey],
      /signing key \(--signing-key .*bad-key\.pem\): not a PEM private key/,
    ],
    [['verify'], /verify: name exactly one run directory/],
    [['verify', join(work, 'no-such-dir')], /verify: .*no-such-dir is not a directory/],
    [['status', '--max-age', 'soon'], /--max-age: 'soon' is not a duration/],
    [['report', work], /report: nothing to do/],
  ])('drill %j exits 2 with one clear line', async (args, message) => {
    const res = await drillInOwnTmp(args);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
    expect(res.created).toEqual([]);
  });
});
