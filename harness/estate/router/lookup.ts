/**
 * Name resolution for the router's upstream connections, one lookup of a name at a time.
 *
 * `dns.lookup` (getaddrinfo) runs on libuv's thread pool, four threads by default. When a target's name stops
 * resolving (on Docker, a container stopped: its alias is gone), each query for it can take the resolver's
 * whole timeout (5 s was seen from Docker's embedded DNS), and a route under load starts dozens of them: the
 * pool fills with them and every other route's lookup waits behind, so a route whose target is perfectly
 * reachable stops connecting too. Sharing one in-flight lookup per name keeps a dead target's queries to one
 * thread.
 *
 * @module
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

type Resolved = dns.LookupAddress[];
type BaseLookup = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: Resolved) => void,
) => void;

/** A `lookup` for `net.connect` whose concurrent lookups of the same name (and family) share one query. */
export function singleFlightLookup(base: BaseLookup = dns.lookup): LookupFunction {
  const inflight = new Map<string, ((err: NodeJS.ErrnoException | null, addresses: Resolved) => void)[]>();
  return (hostname, options, callback) => {
    const family = typeof options.family === 'number' ? options.family : 0;
    const key = `${family}/${hostname}`;
    const answer = (err: NodeJS.ErrnoException | null, addresses: Resolved) => {
      if (err) return callback(err, '', 0);
      if (options.all) return (callback as (e: null, a: Resolved) => void)(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    };
    const waiting = inflight.get(key);
    if (waiting) {
      waiting.push(answer);
      return;
    }
    const list = [answer];
    inflight.set(key, list);
    base(hostname, { ...(family ? { family } : {}), all: true }, (err, addresses) => {
      inflight.delete(key);
      for (const cb of list) cb(err, addresses);
    });
  };
}
