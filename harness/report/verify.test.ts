import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRun } from '../../tests/fixtures/sample-record.ts';
import { generateSigningKeyPair, parseSigningKey } from './signing.ts';
import { verifyArtifacts, verifyRunDir } from './verify.ts';
import { writeReports } from './write.ts';

const tmp = mkdtempSync(join(tmpdir(), 'drill-verify-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readDir(dir: string): Map<string, Uint8Array> {
  return new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));
}
function flipMiddleByte(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.from(bytes);
  const i = Math.floor(copy.length / 2);
  copy[i] = (copy[i] ?? 0) ^ 0x01;
  return copy;
}

describe('verify a written run directory', () => {
  const pair = generateSigningKeyPair();
  const key = parseSigningKey(pair.privatePem, 'test key');
  const { summary, records } = sampleRun();
  const trusted = createPublicKey(pair.publicPem);
  let unsignedDir = '';
  let signedDir = '';
  beforeAll(async () => {
    unsignedDir = (await writeReports(join(tmp, 'unsigned'), summary, records)).dir;
    signedDir = (await writeReports(join(tmp, 'signed'), summary, records, { signingKey: key })).dir;
  });

  it('writes every artifact, and an intact directory verifies with no problem', () => {
    expect(readdirSync(signedDir).sort()).toEqual(
      [
        'events.jsonl',
        'junit.xml',
        'manifest.json',
        'q1-db-failover.json',
        'report.html',
        'report.md',
        'signature.json',
        'summary.json',
      ].sort(),
    );
    const signed = verifyRunDir(signedDir, trusted);
    expect(signed.problems).toEqual([]);
    expect(signed.signature).toEqual({ state: 'signed', fingerprint: pair.fingerprint, trusted: true });
    const unsigned = verifyRunDir(unsignedDir);
    expect(unsigned.problems).toEqual([]);
    expect(unsigned.signature.state).toBe('unsigned');
    expect(unsigned.notes.join(' ')).toMatch(/UNSIGNED/);
    expect(readdirSync(unsignedDir)).not.toContain('signature.json');
  });

  it('without a trusted key, says that the embedded key proves integrity, not who signed', () => {
    const res = verifyRunDir(signedDir);
    expect(res.problems).toEqual([]);
    expect(res.signature).toMatchObject({ state: 'signed', trusted: false });
    expect(res.notes.join(' ')).toMatch(/not who signed/);
  });

  for (const [label, dirOf] of [
    ['signed', () => signedDir],
    ['unsigned', () => unsignedDir],
  ] as const) {
    it(`${label}: one changed byte in any file, or a deleted file, is named`, () => {
      const files = readDir(dirOf());
      for (const name of files.keys()) {
        const altered = new Map(files);
        altered.set(name, flipMiddleByte(files.get(name) ?? new Uint8Array()));
        const res = verifyArtifacts(altered);
        expect(res.problems.length, `${name} altered`).toBeGreaterThan(0);
        expect(
          res.problems.map((p) => p.file),
          `${name} altered`,
        ).toContain(name);
        const deleted = new Map(files);
        deleted.delete(name);
        const gone = verifyArtifacts(deleted);
        expect(
          gone.problems.map((p) => p.file),
          `${name} deleted`,
        ).toContain(name);
      }
    });
  }

  it('rejects a signature by another key, and an unsigned run, when a public key is given', () => {
    const other = createPublicKey(generateSigningKeyPair().publicPem);
    const res = verifyRunDir(signedDir, other);
    expect(res.problems.map((p) => p.message).join()).toMatch(
      /signature\.json: signed by key SHA256:.*not by the --public-key/,
    );
    const unsigned = verifyRunDir(unsignedDir, trusted);
    expect(unsigned.problems.map((p) => p.message).join()).toMatch(/unsigned, so it cannot be checked/);
  });

  it('detects a consistently re-signed forgery only when the expected public key is given', async () => {
    const attacker = parseSigningKey(generateSigningKeyPair().privatePem, 'attacker');
    const forged = await writeReports(join(tmp, 'forged'), summary, records, { signingKey: attacker });
    expect(verifyRunDir(forged.dir).problems).toEqual([]);
    expect(verifyRunDir(forged.dir, trusted).problems.map((p) => p.file)).toContain('signature.json');
  });

  it('notes files the manifest does not cover, without failing', () => {
    const files = readDir(unsignedDir);
    files.set('notes.txt', Buffer.from('hello'));
    const res = verifyArtifacts(files);
    expect(res.problems).toEqual([]);
    expect(res.notes.join()).toMatch(/notes\.txt: not covered by the manifest/);
  });

  it('names a broken chain line even when the manifest was rewritten to match', () => {
    const files = readDir(unsignedDir);
    const events = Buffer.from(files.get('events.jsonl') ?? '')
      .toString('utf8')
      .split('\n');
    events[7] = (events[7] ?? '').replace('"seq":7', '"seq":7 ');
    files.set('events.jsonl', Buffer.from(events.join('\n')));
    const res = verifyArtifacts(files);
    expect(res.problems.map((p) => p.message).join('\n')).toMatch(
      /events\.jsonl: hash chain broken at line 9/,
    );
  });

  it('appends the run to history.jsonl and, in GitHub Actions, to the job summary', async () => {
    const stepSummary = join(tmp, 'step-summary.md');
    writeFileSync(stepSummary, 'earlier step\n');
    const reportDir = join(tmp, 'gha');
    const w = await writeReports(reportDir, summary, records, { env: { GITHUB_STEP_SUMMARY: stepSummary } });
    expect(w.warnings).toEqual([]);
    const text = readFileSync(stepSummary, 'utf8');
    expect(text.startsWith('earlier step\n')).toBe(true);
    expect(text).toMatch(/drillbook run `20261127T120000Z-abc123`: PASSED/);
    expect(text).toMatch(/\| q1-db-failover \| Q1 \| ✅ passed \|/);
    expect(text).toMatch(/\*\*unsigned\*\*/);
    const history = readFileSync(join(reportDir, 'history.jsonl'), 'utf8').trim().split('\n');
    expect(history.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        runId: summary.runId,
        drillId: 'q1-db-failover',
        quarter: 'Q1',
        status: 'passed',
        finishedAt: summary.finishedAt,
        runDir: summary.runId,
      },
    ]);
  });
});
