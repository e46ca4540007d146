import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkFiles,
  manifestFile,
  parseManifest,
  renderManifest,
  UNSIGNED_NOTE,
  type Manifest,
} from './manifest.ts';

const files = { 'summary.json': '{"a":1}\n', 'report.md': '# hi\n', 'junit.xml': '<x/>' };
const body: Omit<Manifest, 'selfSha256'> = {
  schemaVersion: 1,
  kind: 'drillbook-evidence-manifest',
  runId: '20261127T120000Z-abc123',
  revision: 1,
  createdAt: '2026-11-27T12:00:05.000Z',
  drillbookVersion: '0.1.0',
  hashAlgorithm: 'sha256',
  files: Object.entries(files).map(([p, c]) => manifestFile(p, c)),
  events: { path: 'events.jsonl', lines: 3, head: 'f'.repeat(64) },
  signing: { signed: false, note: UNSIGNED_NOTE },
};

describe('manifest.json', () => {
  it('lists every file with its sha256 and size, sorted, and parses back', () => {
    const text = renderManifest(body);
    const parsed = parseManifest(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.manifest.files.map((f) => f.path)).toEqual(['junit.xml', 'report.md', 'summary.json']);
    expect(parsed.manifest.files.find((f) => f.path === 'report.md')).toEqual({
      path: 'report.md',
      sha256: createHash('sha256').update('# hi\n').digest('hex'),
      size: 5,
    });
    expect(parsed.manifest.signing).toEqual({
      signed: false,
      note: expect.stringMatching(/^UNSIGNED/) as unknown,
    });
  });

  it('detects a change to any single byte of itself (self digest), even unsigned', () => {
    const text = renderManifest(body);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const altered = text.slice(0, i) + String.fromCharCode(c === 0x30 ? 0x31 : c ^ 1) + text.slice(i + 1);
      expect(parseManifest(altered).ok, `byte ${i} (${JSON.stringify(text[i])})`).toBe(false);
    }
  });

  it('names a missing and an altered file, and passes intact ones', () => {
    const text = renderManifest(body);
    const parsed = parseManifest(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    const present: Record<string, string> = { ...files, 'report.md': '# hi!\n' };
    delete present['junit.xml'];
    const problems = checkFiles(parsed.manifest, (p) =>
      p in present ? Buffer.from(present[p] ?? '') : undefined,
    );
    expect(problems.map((p) => [p.file, p.kind])).toEqual([
      ['junit.xml', 'missing'],
      ['report.md', 'altered'],
    ]);
    expect(problems[1]?.message).toMatch(/report\.md: altered \(sha256 .*6 bytes; manifest says .*5 bytes\)/);
  });
});
