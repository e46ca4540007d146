import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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

/**
 * Verify a run directory's files (name -> bytes) against its manifest, event chain and signature. Pure: the
 * caller reads the directory. With `trusted`, the manifest must be signed by that key.
 */
export function verifyArtifacts(files: ReadonlyMap<string, Uint8Array>, trusted?: KeyObject): VerifyResult {
  const problems: Problem[] = [];
  const checked: string[] = [];
  const notes: string[] = [];
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
  for (const name of [...files.keys()].sort())
    if (!listed.has(name)) notes.push(`${name}: not covered by the manifest (added later, or not evidence)`);
  return { problems, checked, notes, manifest, signature };
}

/** Read a run directory and verify it. A path that is not a drillbook run directory is a UsageError. */
export function verifyRunDir(dir: string, trusted?: KeyObject): VerifyResult {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`verify: ${dir} is not a directory`);
  const files = new Map<string, Uint8Array>();
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isFile()) files.set(name, readFileSync(p));
  }
  if (!files.has(MANIFEST_FILE) && !files.has('summary.json'))
    throw new UsageError(`verify: ${dir} is not a drill run directory (no manifest.json, no summary.json)`);
  return verifyArtifacts(files, trusted);
}
