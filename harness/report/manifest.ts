import { z } from 'zod';
import { sha256Hex } from './chain.ts';

/** The manifest as read back: every field a reader relies on, checked; file paths are plain names. */
const ManifestSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('drillbook-evidence-manifest'),
  runId: z.string(),
  revision: z.number().int().positive(),
  createdAt: z.string(),
  hashAlgorithm: z.literal('sha256'),
  files: z.array(
    z.object({
      path: z
        .string()
        .regex(/^[^/\\\0]+$/)
        .refine((p) => p !== '.' && p !== '..', 'not a plain file name'),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      size: z.number().int().nonnegative(),
    }),
  ),
  events: z.object({ path: z.string(), lines: z.number().int().nonnegative(), head: z.string() }),
  signing: z.union([
    z.object({
      signed: z.literal(true),
      algorithm: z.literal('ed25519'),
      publicKeyFingerprint: z.string(),
      signatureFile: z.string(),
    }),
    z.object({ signed: z.literal(false), note: z.string() }),
  ]),
  previousManifestSha256: z.string().optional(),
  selfSha256: z.string(),
});

export const MANIFEST_FILE = 'manifest.json';

export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
}

export type ManifestSigning =
  | { signed: true; algorithm: 'ed25519'; publicKeyFingerprint: string; signatureFile: string }
  | { signed: false; note: string };

/**
 * manifest.json: every artifact of a run with its sha256 and size, the head of the hash-chained event log, and
 * whether (and with which key) the manifest is signed. `selfSha256` is the sha256 of the file with that value
 * replaced by 64 zeros, so that any change to the manifest itself is detected even when it is unsigned.
 */
export interface Manifest {
  schemaVersion: 1;
  kind: 'drillbook-evidence-manifest';
  runId: string;
  /** How many times the report was issued: 1 by `drill run`, +1 each time `drill report --evidence` re-issues it. */
  revision: number;
  createdAt: string;
  drillbookVersion: string;
  hashAlgorithm: 'sha256';
  files: ManifestFile[];
  events: { path: string; lines: number; head: string };
  signing: ManifestSigning;
  /** When this manifest replaces an earlier one (a re-issue): that manifest's sha256. */
  previousManifestSha256?: string;
  selfSha256: string;
}

export const UNSIGNED_NOTE =
  'UNSIGNED: no signing key was configured (--signing-key, DRILL_SIGNING_KEY_FILE or DRILL_SIGNING_KEY). ' +
  'The hashes detect accidental or naive changes only; anyone able to rewrite the files can rewrite this manifest.';

const ZEROS = '0'.repeat(64);
const SELF = /"selfSha256": "([0-9a-f]{64})"/;

export function manifestFile(path: string, content: Uint8Array | string): ManifestFile {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return { path, sha256: sha256Hex(bytes), size: bytes.length };
}

/** The manifest's text, with its self digest filled in. */
export function renderManifest(body: Omit<Manifest, 'selfSha256'>): string {
  const files = [...body.files].sort((a, b) => a.path.localeCompare(b.path));
  const draft = `${JSON.stringify({ ...body, files, selfSha256: ZEROS }, null, 2)}\n`;
  return draft.replace(`"selfSha256": "${ZEROS}"`, `"selfSha256": "${sha256Hex(draft)}"`);
}

export type ManifestParse = { ok: true; manifest: Manifest } | { ok: false; reason: string };

/** Parse manifest.json and check its self digest. */
export function parseManifest(text: string): ManifestParse {
  const m = SELF.exec(text);
  if (!m) return { ok: false, reason: 'has no self digest (altered, or not a drillbook manifest)' };
  if (sha256Hex(text.replace(SELF, `"selfSha256": "${ZEROS}"`)) !== m[1])
    return { ok: false, reason: 'its content does not match its self digest (altered)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON (altered)' };
  }
  const shape = ManifestSchema.safeParse(parsed);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    return {
      ok: false,
      reason: `not a drillbook evidence manifest (${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'})`,
    };
  }
  return { ok: true, manifest: parsed as Manifest };
}

/** One thing `drill verify` found wrong, naming the file. */
export interface Problem {
  file: string;
  kind: 'missing' | 'altered' | 'chain' | 'signature' | 'unsigned' | 'invalid' | 'extra' | 'symlink';
  message: string;
}

/** Compare the files present against the manifest's list. `read` returns undefined for a missing file. */
export function checkFiles(manifest: Manifest, read: (path: string) => Uint8Array | undefined): Problem[] {
  const out: Problem[] = [];
  for (const f of manifest.files) {
    const bytes = read(f.path);
    if (bytes === undefined) {
      out.push({ file: f.path, kind: 'missing', message: `${f.path}: missing (listed in the manifest)` });
      continue;
    }
    const actual = sha256Hex(bytes);
    if (actual !== f.sha256 || bytes.length !== f.size)
      out.push({
        file: f.path,
        kind: 'altered',
        message: `${f.path}: altered (sha256 ${actual.slice(0, 16)}…, ${bytes.length} bytes; manifest says ${f.sha256.slice(0, 16)}…, ${f.size} bytes)`,
      });
  }
  return out;
}
