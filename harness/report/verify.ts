import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { UsageError } from '../core/errors.ts';
import { verifyEventLog } from './chain.ts';
import { checkFiles, MANIFEST_FILE, parseManifest, type Manifest, type Problem } from './manifest.ts';
import { checkSignature, SIGNATURE_FILE } from './signing.ts';

export interface VerifyResult {
  /** Empty when everything is intact. */
  problems: Problem[];
  /** What was checked and found in order, one line each, for people. */
  checked: string[];
  /** Things worth knowing that do not make the run fail verification. */
  notes: string[];
  manifest?: Manifest;
  signature:
    { state: 'signed'; fingerprint: string; trusted: boolean } | { state: 'unsigned' } | { state: 'invalid' };
}

/** How demanding verification is, beyond the manifest's own hashes and chain. */
export interface VerifyPolicy {
  /** An unsigned run fails (`--require-signature`, or `signing.requireSignature` in the config). */
  requireSignature?: boolean;
  /** Every entry of the directory must be covered by the manifest: an extra file fails (`--strict`). */
  strict?: boolean;
  /** Entries of the directory that are symbolic links: reported as problems, never followed. */
  symlinks?: readonly string[];
  /** Entries that are neither files nor symlinks (directories, sockets): extra in strict mode. */
  others?: readonly string[];
}

/**
 * Verify a run directory's files (name -> bytes) against its manifest, event chain and signature. Pure: the
 * caller reads the directory. With `trusted`, the manifest must be signed by that key.
 */
export function verifyArtifacts(
  files: ReadonlyMap<string, Uint8Array>,
  trusted?: KeyObject,
  policy: VerifyPolicy = {},
): VerifyResult {
  const problems: Problem[] = [];
  const checked: string[] = [];
  const notes: string[] = [];
  for (const name of policy.symlinks ?? [])
    problems.push({
      file: name,
      kind: 'symlink',
      message: `${name}: a symbolic link (not followed; a run directory holds only the files it wrote)`,
    });
  const text = (name: string) => {
    const b = files.get(name);
    return b === undefined ? undefined : Buffer.from(b).toString('utf8');
  };
  const manifestText = text(MANIFEST_FILE);
  if (manifestText === undefined) {
    problems.push({ file: MANIFEST_FILE, kind: 'missing', message: `${MANIFEST_FILE}: missing` });
    return { problems, checked, notes, signature: { state: 'invalid' } };
  }
  const parsed = parseManifest(manifestText);
  if (!parsed.ok) {
    problems.push({ file: MANIFEST_FILE, kind: 'altered', message: `${MANIFEST_FILE}: ${parsed.reason}` });
    return { problems, checked, notes, signature: { state: 'invalid' } };
  }
  const manifest = parsed.manifest;
  checked.push(
    `${MANIFEST_FILE}: intact (run ${manifest.runId}, revision ${manifest.revision}, ${manifest.files.length} files)`,
  );

  // The signature first: it says whether the manifest can be believed at all.
  let signature: VerifyResult['signature'] = { state: 'unsigned' };
  const sigText = text(SIGNATURE_FILE);
  if (manifest.signing.signed) {
    if (sigText === undefined) {
      problems.push({
        file: SIGNATURE_FILE,
        kind: 'missing',
        message: `${SIGNATURE_FILE}: missing (the manifest says it is signed by ${manifest.signing.publicKeyFingerprint})`,
      });
      signature = { state: 'invalid' };
    } else {
      const check = checkSignature(manifestText, sigText, trusted);
      if (!check.ok) {
        problems.push({
          file: SIGNATURE_FILE,
          kind: 'signature',
          message: `${SIGNATURE_FILE}: ${check.reason}`,
        });
        signature = { state: 'invalid' };
      } else if (check.fingerprint !== manifest.signing.publicKeyFingerprint) {
        problems.push({
          file: SIGNATURE_FILE,
          kind: 'signature',
          message: `${SIGNATURE_FILE}: signed by ${check.fingerprint}, but the manifest names ${manifest.signing.publicKeyFingerprint}`,
        });
        signature = { state: 'invalid' };
      } else {
        signature = { state: 'signed', fingerprint: check.fingerprint, trusted: check.trusted };
        checked.push(
          check.trusted
            ? `${SIGNATURE_FILE}: valid Ed25519 signature by the given public key ${check.fingerprint}`
            : `${SIGNATURE_FILE}: valid Ed25519 signature by the key embedded in it, ${check.fingerprint}`,
        );
        if (!check.trusted)
          notes.push(
            'checked against the public key embedded in signature.json: this proves the files are unchanged since ' +
              'signing, not who signed; pass --public-key FILE with the key you expect to prove that',
          );
      }
    }
  } else {
    if (policy.requireSignature && !trusted)
      problems.push({
        file: MANIFEST_FILE,
        kind: 'unsigned',
        message: `${MANIFEST_FILE}: the run is unsigned, and a signature is required`,
      });
    if (trusted)
      problems.push({
        file: MANIFEST_FILE,
        kind: 'unsigned',
        message: `${MANIFEST_FILE}: the run is unsigned, so it cannot be checked against --public-key`,
      });
    if (sigText !== undefined)
      problems.push({
        file: SIGNATURE_FILE,
        kind: 'signature',
        message: `${SIGNATURE_FILE}: present, but the manifest says the run is unsigned`,
      });
    notes.push(
      'the manifest is UNSIGNED: its hashes detect accidental or naive changes only; sign runs with --signing-key ' +
        'or DRILL_SIGNING_KEY to make them tamper-evident',
    );
  }

  const fileProblems = checkFiles(manifest, (p) => files.get(p));
  problems.push(...fileProblems);
  const bad = new Set(fileProblems.map((p) => p.file));
  for (const f of manifest.files)
    if (!bad.has(f.path))
      checked.push(`${f.path}: intact (sha256 ${f.sha256.slice(0, 16)}…, ${f.size} bytes)`);

  const events = text(manifest.events.path);
  if (events !== undefined) {
    const chain = verifyEventLog(events);
    if (!chain.ok)
      problems.push({
        file: manifest.events.path,
        kind: 'chain',
        message: `${manifest.events.path}: hash chain broken at line ${chain.line}: ${chain.reason}`,
      });
    else if (chain.head !== manifest.events.head || chain.lines !== manifest.events.lines)
      problems.push({
        file: manifest.events.path,
        kind: 'chain',
        message: `${manifest.events.path}: the chain ends at line ${chain.lines} with head ${chain.head.slice(0, 16)}…, the manifest recorded ${manifest.events.lines} lines ending ${manifest.events.head.slice(0, 16)}… (lines removed or added at the end)`,
      });
    else
      checked.push(
        `${manifest.events.path}: hash chain intact (${chain.lines} lines, head ${chain.head.slice(0, 16)}…)`,
      );
  }

  const listed = new Set([MANIFEST_FILE, SIGNATURE_FILE, ...manifest.files.map((f) => f.path)]);
  for (const name of [...files.keys(), ...(policy.others ?? [])].sort()) {
    if (listed.has(name)) continue;
    if (policy.strict)
      problems.push({
        file: name,
        kind: 'extra',
        message: `${name}: not covered by the manifest (strict: a run directory holds only what was signed)`,
      });
    else notes.push(`${name}: not covered by the manifest (added later, or not evidence)`);
  }
  return { problems, checked, notes, manifest, signature };
}

/**
 * Read a run directory and verify it. A path that is not a drillbook run directory is a UsageError. Only the
 * directory's own regular files are read: a symbolic link (to a file or a directory, inside or outside) is
 * reported and never followed, and so is the run directory itself being one.
 */
export function verifyRunDir(
  dir: string,
  trusted?: KeyObject,
  policy: Omit<VerifyPolicy, 'symlinks' | 'others'> = {},
): VerifyResult {
  let isDir = false;
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) throw new UsageError(`verify: ${dir} is a symbolic link (not followed)`);
    isDir = st.isDirectory();
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  if (!isDir) throw new UsageError(`verify: ${dir} is not a directory`);
  const files = new Map<string, Uint8Array>();
  const symlinks: string[] = [];
  const others: string[] = [];
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    if (st.isSymbolicLink()) symlinks.push(name);
    else if (st.isFile()) files.set(name, readNoFollow(join(dir, name)));
    else others.push(name);
  }
  if (!files.has(MANIFEST_FILE) && !files.has('summary.json'))
    throw new UsageError(`verify: ${dir} is not a drill run directory (no manifest.json, no summary.json)`);
  return verifyArtifacts(files, trusted, { ...policy, symlinks, others });
}

/** A regular file's bytes; a symbolic link swapped in after the listing makes the open fail instead of following. */
function readNoFollow(path: string): Uint8Array {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A file name of a run directory: one path segment, so joining it to the directory stays inside. */
export function isPlainName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}
