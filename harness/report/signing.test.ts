import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.ts';
import {
  checkSignature,
  generateSigningKeyPair,
  loadSigningKey,
  parsePublicKey,
  renderSignature,
  signManifest,
} from './signing.ts';

const tmp = mkdtempSync(join(tmpdir(), 'drill-signing-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const pair = generateSigningKeyPair();

describe('signing keys', () => {
  it('come from --signing-key, then DRILL_SIGNING_KEY_FILE, then DRILL_SIGNING_KEY', () => {
    const file = join(tmp, 'k.pem');
    writeFileSync(file, pair.privatePem);
    const other = generateSigningKeyPair();
    expect(loadSigningKey({ env: {} })).toBeUndefined();
    expect(loadSigningKey({ env: { DRILL_SIGNING_KEY: pair.privatePem } })?.fingerprint).toBe(
      pair.fingerprint,
    );
    expect(
      loadSigningKey({ env: { DRILL_SIGNING_KEY_FILE: file, DRILL_SIGNING_KEY: other.privatePem } })?.source,
    ).toBe(`DRILL_SIGNING_KEY_FILE ${file}`);
    expect(loadSigningKey({ file, env: { DRILL_SIGNING_KEY: other.privatePem } })?.fingerprint).toBe(
      pair.fingerprint,
    );
  });

  it('refuse what is not an Ed25519 private key, naming the source and never echoing the secret', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => loadSigningKey({ env: { DRILL_SIGNING_KEY: rsa } })).toThrow(
      /DRILL_SIGNING_KEY\): is a rsa key, not Ed25519/,
    );
    const secret = 'hunter2-super-secret';
    try {
      loadSigningKey({ env: { DRILL_SIGNING_KEY: secret } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).toMatch(/signing key \(DRILL_SIGNING_KEY\): not a PEM private key/);
      expect((e as Error).message).not.toContain(secret);
    }
    expect(() => loadSigningKey({ file: join(tmp, 'nope.pem'), env: {} })).toThrow(
      /--signing-key .*nope\.pem\): cannot be read/,
    );
    expect(() => parsePublicKey(pair.privatePem.replace(/PRIVATE/g, 'PUBLIC'), 'x.pub')).toThrow(
      /public key \(x\.pub\)/,
    );
  });

  it('sign the exact manifest bytes; any change to them or to the signature file is caught', () => {
    const key = loadSigningKey({ env: { DRILL_SIGNING_KEY: pair.privatePem } });
    if (!key) throw new Error('no key');
    const manifest = '{"runId":"x"}\n';
    const sig = renderSignature(signManifest(manifest, key));
    const trusted = parsePublicKey(pair.publicPem, 'pub');
    expect(checkSignature(manifest, sig, trusted)).toEqual({
      ok: true,
      fingerprint: pair.fingerprint,
      trusted: true,
    });
    expect(checkSignature(manifest, sig)).toEqual({
      ok: true,
      fingerprint: pair.fingerprint,
      trusted: false,
    });
    expect(checkSignature('{"runId":"y"}\n', sig)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/different manifest/) as unknown,
    });
    expect(checkSignature(manifest, sig.replace('"signature": "', '"signature": "AAAA'))).toMatchObject({
      ok: false,
    });
    expect(checkSignature(manifest, sig.replace('{\n', '{ \n'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not in the form/) as unknown,
    });
  });
});
