/**
 * Name resolution for the router's upstream connections, off libuv's thread pool.
 *
 * `net.connect` resolves a name with `dns.lookup` (getaddrinfo), which runs on libuv's thread pool, four
 * threads by default. On Docker a target's name stops resolving when its container stops, and getaddrinfo then
 * takes 5 to 10 s per query for it (Docker's embedded DNS forwards the unknown name off the machine, which does
 * not answer; measured). A route under load starts dozens of such lookups, they fill the pool, and every other
 * route's lookup waits behind them: a route whose target is up stops connecting too (the DR database behind the
 * `db` route, while the `app` route still named the stopped primary site's app). Names are therefore asked of
 * the DNS server directly (c-ares: asynchronous, no thread), which answers an unknown name at once; `localhost`
 * and a name with no IPv4 address still go through `dns.lookup` (the hosts file, IPv6).
 *
 * @module
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

type Resolve4 = (
  hostname: string,
  callback: (err: NodeJS.ErrnoException | null, addresses: string[]) => void,
) => void;

/** A `lookup` for `net.connect` that asks the DNS server (`resolve4`), falling back to `fallback` as above. */
export function upstreamLookup(
  resolve4: Resolve4 = defaultResolve4(),
  fallback: LookupFunction = dns.lookup,
): LookupFunction {
  return (hostname, options, callback) => {
    if (hostname === 'localhost' || options.family === 6) return fallback(hostname, options, callback);
    resolve4(hostname, (err, addresses) => {
      if (err?.code === dns.NODATA || (!err && addresses.length === 0))
        return fallback(hostname, options, callback);
      if (err) return callback(err, '', 0);
      const address = addresses[0] ?? '';
      if (options.all)
        return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(
          null,
          addresses.map((a) => ({ address: a, family: 4 })),
        );
      callback(null, address, 4);
    });
  };
}

function defaultResolve4(): Resolve4 {
  const resolver = new dns.Resolver({ timeout: 1000, tries: 2 });
  return (hostname, callback) => resolver.resolve4(hostname, callback);
}
