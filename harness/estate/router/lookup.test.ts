import type dns from 'node:dns';
import { describe, expect, it } from 'vitest';
import { singleFlightLookup } from './lookup.ts';

describe('singleFlightLookup', () => {
  it('answers concurrent lookups of one name with a single query, each in the form it asked for', async () => {
    const pending: (() => void)[] = [];
    const asked: string[] = [];
    const lookup = singleFlightLookup((host, _opts, cb) => {
      asked.push(host);
      pending.push(() => cb(null, [{ address: '10.0.0.7', family: 4 }]));
    });
    const one = (all: boolean) =>
      new Promise<unknown>((resolve, reject) =>
        lookup('postgres-dr', { all }, (err, address, family) =>
          err ? reject(err) : resolve(all ? address : `${String(address)}/${family}`),
        ),
      );
    const answers = Promise.all([one(false), one(true), one(false)]);
    const other = one(false);
    lookup('app', {}, () => undefined);
    expect(asked).toEqual(['postgres-dr', 'app']);
    for (const p of pending) p();
    expect(await answers).toEqual(['10.0.0.7/4', [{ address: '10.0.0.7', family: 4 }], '10.0.0.7/4']);
    expect(await other).toBe('10.0.0.7/4');
    // Once answered, the next lookup is a new query (nothing is cached).
    void one(false);
    expect(asked).toEqual(['postgres-dr', 'app', 'postgres-dr']);
  });

  it('gives every waiter the failure of the shared query', async () => {
    let fail: (() => void) | undefined;
    const lookup = singleFlightLookup((_host, _opts, cb) => {
      fail = () => cb(Object.assign(new Error('getaddrinfo ENOTFOUND app'), { code: 'ENOTFOUND' }), []);
    });
    const one = () =>
      new Promise<string>((resolve) =>
        lookup('app', {}, (err) =>
          resolve((err as (dns.LookupAddress & { code?: string }) | null)?.code ?? 'none'),
        ),
      );
    const both = Promise.all([one(), one()]);
    fail?.();
    expect(await both).toEqual(['ENOTFOUND', 'ENOTFOUND']);
  });
});
