/**
 * The `signing` section of drillbook.config.json: the public key runs must be signed by, and whether a signature
 * is required at all. With these, `drill verify` (and `drill status`, `drill report`) no longer trust whatever
 * key a run directory carries.
 *
 *   { "signing": { "trustedPublicKey": "keys/drill-signing-key.pub.pem", "requireSignature": true } }
 *
 * A relative key path is relative to the config file's directory.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { describe, UsageError } from '../core/errors.ts';
import { parsePublicKey } from './signing.ts';

export interface SigningConfig {
  /** The key every signed run must be signed by, and the file it came from. */
  trusted?: { key: KeyObject; file: string };
  /** Unsigned runs fail verification (also implied by a trusted key). */
  requireSignature: boolean;
}

export function readSigningConfig(root: string, env: NodeJS.ProcessEnv = process.env): SigningConfig {
  const { path, display, config } = loadConfig(root, env);
  const s = config.signing;
  if (!s || !path) return { requireSignature: false };
  const dir = dirname(path);
  let trusted: SigningConfig['trusted'];
  if (s.trustedPublicKey !== undefined) {
    const file = resolve(dir, s.trustedPublicKey);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`${display}: signing.trustedPublicKey ${file}: cannot be read: ${describe(e)}`);
    }
    trusted = { key: parsePublicKey(pem, `${display}: signing.trustedPublicKey ${file}`), file };
  }
  return {
    ...(trusted ? { trusted } : {}),
    requireSignature: s.requireSignature ?? trusted !== undefined,
  };
}
