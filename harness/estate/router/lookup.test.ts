import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { describe, expect, it } from 'vitest';
import { upstreamLookup } from './lookup.ts';

const fail = (code: string) => Object.assign(new Error(`queryA ${code} x`), { code });

function harness(answer: (host: string) => { err?: string; addresses?: string[] }) {
  const fellBack: string[] = [];
  const fallback = ((host: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => {
    fellBack.push(host);
    cb(null, '127.0.0.1', 4);
  }) as unknown as LookupFunction;
  const lookup = upstreamLookup((host, cb) => {
    const a = answer(host);
    cb(a.err ? fail(a.err) : null, a.addresses ?? []);
  }, fallback);
  const one = (host: string, all = false) =>
    new Promise<unknown>((resolve) =>
      lookup(host, { all }, (err, address, family) =>
        resolve(err ? err.code : all ? address : `${address as string}/${family}`),
      ),
    );
  return { one, fellBack };
}

describe('upstreamLookup', () => {
  it('answers from the DNS server, in the form the caller asked for', async () => {
    const { one, fellBack } = harness(() => ({ addresses: ['172.21.0.4', '172.21.0.9'] }));
    expect(await one('postgres-dr')).toBe('172.21.0.4/4');
    expect(await one('postgres-dr', true)).toEqual([
      { address: '172.21.0.4', family: 4 },
      { address: '172.21.0.9', family: 4 },
    ]);
    expect(fellBack).toEqual([]);
  });

  it('fails an unknown name at once, without a getaddrinfo of its own', async () => {
    const { one, fellBack } = harness(() => ({ err: dns.NOTFOUND }));
    expect(await one('app')).toBe(dns.NOTFOUND);
    expect(fellBack).toEqual([]);
  });

  it('leaves localhost and names without an IPv4 address to dns.lookup', async () => {
    const { one, fellBack } = harness(() => ({ err: dns.NODATA }));
    expect(await one('localhost')).toBe('127.0.0.1/4');
    expect(await one('v6-only')).toBe('127.0.0.1/4');
    expect(fellBack).toEqual(['localhost', 'v6-only']);
  });
});
