import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, UsageError } from '../core/errors.ts';
import { sha256Hex } from './chain.ts';

/** An Ed25519 private key to sign manifests with, and where it came from (never its content) for messages. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  fingerprint: string;
  source: string;
}

/** signature.json: an Ed25519 signature over the exact bytes of manifest.json, with the public key. */
export interface SignatureFile {
  schemaVersion: 1;
  algorithm: 'ed25519';
  signedFile: 'manifest.json';
  manifestSha256: string;
  publicKey: string;
  publicKeyFingerprint: string;
  signature: string;
}

export const SIGNATURE_FILE = 'signature.json';

/** `SHA256:<base64>` of the public key's DER (SPKI), the way ssh-keygen -l prints fingerprints. */
export function keyFingerprint(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const b64 = createHash('sha256').update(der).digest('base64');
  // Without base64's trailing padding.
  return `SHA256:${b64.includes('=') ? b64.slice(0, b64.indexOf('=')) : b64}`;
}

/**
 * The signing key from, in order: --signing-key FILE, DRILL_SIGNING_KEY_FILE, DRILL_SIGNING_KEY (the PEM itself,
 * e.g. a CI secret). None: undefined (the run is unsigned, and says so). A key that is not an Ed25519 private key
 * is a UsageError naming where it came from.
 */
export function loadSigningKey(opts: { file?: string; env: NodeJS.ProcessEnv }): SigningKey | undefined {
  const file = opts.file ?? (opts.env.DRILL_SIGNING_KEY_FILE || undefined);
  if (file !== undefined) {
    const source = opts.file !== undefined ? `--signing-key ${file}` : `DRILL_SIGNING_KEY_FILE ${file}`;
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`signing key (${source}): cannot be read: ${describe(e)}`);
    }
    return parseSigningKey(pem, source);
  }
  const pem = opts.env.DRILL_SIGNING_KEY;
  if (pem && pem.trim() !== '') return parseSigningKey(pem, 'DRILL_SIGNING_KEY');
  return undefined;
}

export function parseSigningKey(pem: string, source: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The parser's message could quote the input: say only what is wrong, never what the secret looked like.
    throw new UsageError(`signing key (${source}): not a PEM private key (create one with 'drill keygen')`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new UsageError(
      `signing key (${source}): is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519 (create one with 'drill keygen')`,
    );
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: keyFingerprint(publicKey),
    source,
  };
}

export function parsePublicKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new UsageError(`public key (${source}): not a PEM public key`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new UsageError(
      `public key (${source}): is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`,
    );
  return key;
}

export function generateSigningKeyPair(): { privatePem: string; publicPem: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: keyFingerprint(publicKey),
  };
}

export function signManifest(manifestText: string, key: SigningKey): SignatureFile {
  return {
    schemaVersion: 1,
    algorithm: 'ed25519',
    signedFile: 'manifest.json',
    manifestSha256: sha256Hex(manifestText),
    publicKey: key.publicKeyPem,
    publicKeyFingerprint: key.fingerprint,
    signature: sign(null, Buffer.from(manifestText, 'utf8'), key.privateKey).toString('base64'),
  };
}

export function renderSignature(sig: SignatureFile): string {
  return `${JSON.stringify(sig, null, 2)}\n`;
}

export type SignatureCheck =
  { ok: true; fingerprint: string; trusted: boolean } | { ok: false; reason: string };

/**
 * Check signature.json against manifest.json's bytes. With `trusted`, the signature must have been made by that
 * key; without, by the key embedded in signature.json (which proves integrity, not who signed).
 */
export function checkSignature(
  manifestText: string,
  signatureText: string,
  trusted?: KeyObject,
): SignatureCheck {
  let sig: Partial<SignatureFile>;
  try {
    sig = JSON.parse(signatureText) as Partial<SignatureFile>;
  } catch {
    return { ok: false, reason: 'not valid JSON (altered)' };
  }
  // Byte-exact: a file that is not exactly what drillbook writes has been edited, even where JSON would not care.
  if (typeof sig !== 'object' || sig === null || renderSignature(sig as SignatureFile) !== signatureText)
    return { ok: false, reason: 'not in the form drillbook writes (altered)' };
  if (sig.algorithm !== 'ed25519')
    return { ok: false, reason: `unknown algorithm '${String(sig.algorithm)}'` };
  if (typeof sig.signature !== 'string' || typeof sig.publicKey !== 'string')
    return { ok: false, reason: 'signature or public key missing' };
  let embedded: KeyObject;
  try {
    embedded = parsePublicKey(sig.publicKey, 'signature.json');
  } catch {
    return { ok: false, reason: 'the embedded public key is not an Ed25519 key (altered)' };
  }
  const embeddedFp = keyFingerprint(embedded);
  if (sig.publicKeyFingerprint !== embeddedFp)
    return { ok: false, reason: 'the fingerprint does not match the embedded public key (altered)' };
  if (sig.manifestSha256 !== sha256Hex(manifestText))
    return { ok: false, reason: 'signed a different manifest.json than the one present' };
  if (trusted && keyFingerprint(trusted) !== embeddedFp)
    return {
      ok: false,
      reason: `signed by key ${embeddedFp}, not by the --public-key given (${keyFingerprint(trusted)})`,
    };
  let valid: boolean;
  try {
    valid = verify(
      null,
      Buffer.from(manifestText, 'utf8'),
      trusted ?? embedded,
      Buffer.from(sig.signature, 'base64'),
    );
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'the Ed25519 signature does not match manifest.json' };
  return { ok: true, fingerprint: embeddedFp, trusted: trusted !== undefined };
}
