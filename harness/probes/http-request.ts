/**
 * One HTTP request on a connection of its own, for the observers' open-loop traffic. node:http directly rather
 * than a client library: at a probe every 20 ms and 50 writes a second, the client's own CPU is what limits the
 * RTO's resolution on a small machine (measured: about half the CPU per request of the library it replaces).
 */
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Where a URL points, parsed once: the probes ask the same URL tens of times a second, and parsing it on every
 * request was a fifth of a request's CPU (with the shared agent's bookkeeping another fifth; measured: 386 µs a
 * request before, 241 µs after, warm, on loopback).
 */
const targets = new Map<string, { protocol: string; hostname: string; port: string; path: string }>();
function targetOf(url: string) {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    t = {
      protocol: u.protocol,
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port,
      path: `${u.pathname}${u.search}`,
    };
    if (targets.size >= 64) targets.clear();
    targets.set(url, t);
  }
  return t;
}

/**
 * GET or POST `url` and read the whole answer. Rejects on a connection error, a cut answer, or when the whole
 * exchange takes longer than `timeoutMs` (`timeout of N ms exceeded`). Any status is an answer.
 */
export function httpRequest(
  url: string,
  opts: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH'; json?: unknown; timeoutMs: number },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
    // No keep-alive (`agent: false`: a connection of its own, closed after the answer): each request opens its
    // own connection, as a new client would, so a repointed route is seen.
    const req = http.request({
      ...targetOf(url),
      method: opts.method ?? 'GET',
      agent: false,
      headers:
        body === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const timer = setTimeout(
      () =>
        req.destroy(
          Object.assign(new Error(`timeout of ${opts.timeoutMs}ms exceeded`), { code: 'ETIMEDOUT' }),
        ),
      opts.timeoutMs,
    );
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    req.once('error', fail);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', fail);
      res.once('aborted', () => fail(new Error('answer cut off')));
      res.once('end', () => {
        clearTimeout(timer);
        if (!res.complete) return fail(new Error('answer cut off'));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(body);
  });
}

/** The body as JSON when it is JSON, else the text (a proxy's error page). */
export function jsonOrText(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}
