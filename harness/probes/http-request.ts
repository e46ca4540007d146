/**
 * One HTTP request on a connection of its own, for the observers' open-loop traffic: HTTP/1.1 with
 * `Connection: close` over a bare socket, the answer taken once it is whole. At a probe every 15 ms and 50
 * writes a second the client's own CPU is the harness's cost of watching, and node:http's general machinery
 * (agent, parser pool, stream wrappers) was most of it: measured over a steady state on local, 17.8 % of a core
 * with node:http, see docs/speed.md for this client's figure. The exchange is the smallest part of HTTP a
 * probe needs: one request, a status line, headers, and a body delimited by Content-Length, chunked coding or
 * the close.
 */
import net from 'node:net';

export interface HttpAnswer {
  status: number;
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Where a URL points, parsed once: the probes ask the same URL tens of times a second, and parsing it on every
 * request was a fifth of a request's CPU.
 */
const targets = new Map<string, { host: string; port: number; path: string; hostHeader: string }>();
function targetOf(url: string) {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    if (u.protocol !== 'http:') throw new Error(`${url}: only http:// is probed`);
    t = {
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : 80,
      path: `${u.pathname}${u.search}` || '/',
      hostHeader: u.host,
    };
    if (targets.size >= 64) targets.clear();
    targets.set(url, t);
  }
  return t;
}

const EMPTY: Buffer = Buffer.alloc(0);
const READ_BUFFER = Buffer.alloc(64 * 1024);
const cutOff = () => new Error('answer cut off');

/** The answer in `raw` (everything the server sent before closing), or why it is not one. */
export function parseAnswer(raw: Buffer): HttpAnswer {
  return readAnswer(raw, true) as HttpAnswer;
}

/**
 * The answer in `raw` once it is whole, by its own framing: Content-Length bytes of body, the last chunk of a
 * chunked body, or no body at all (204, 304). An answer framed only by the close is whole when `closed`.
 * Undefined while more is to come; throws when it cannot be an answer, or when the close cut it off.
 */
export function readAnswer(raw: Buffer, closed: boolean): HttpAnswer | undefined {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) {
    if (closed) throw cutOff();
    return undefined;
  }
  const lines = raw.toString('latin1', 0, headEnd).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status?.[1]) throw new Error(`not an HTTP answer: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const code = Number(status[1]);
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body: Buffer | undefined = raw.subarray(headEnd + 4);
  if (code === 204 || code === 304) body = body.subarray(0, 0);
  else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (!Number.isInteger(length) || length < 0) throw cutOff();
    body = body.length < length ? undefined : body.subarray(0, length);
  } else if (!closed) body = undefined;
  if (body === undefined) {
    if (closed) throw cutOff();
    return undefined;
  }
  return { status: code, headers, body: body.toString('utf8') };
}

/** A chunked body decoded; undefined while its last chunk has not come, throws on a chunk size that is none. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(data.toString('latin1', at, eol).split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) throw cutOff();
    if (size === 0) return Buffer.concat(parts);
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/**
 * The requests' deadlines on one timer per timeout length: requests of one length expire in the order they were
 * sent, so the oldest unsettled one's deadline is the next to watch. A timer set and cleared per request was
 * a part of each probe's CPU; this one is re-armed about once per timeout length. Unreferenced: a pending
 * request's socket keeps the process alive, a deadline alone does not.
 */
class Deadlines {
  private readonly queue: { at: number; expire: () => void; done: boolean }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  /** Call `expire` when `ms` have passed, unless the returned entry is marked done first. */
  add(expire: () => void): { done: boolean } {
    const entry = { at: performance.now() + this.ms, expire, done: false };
    this.queue.push(entry);
    if (!this.timer) this.arm();
    return entry;
  }

  private arm(): void {
    while (this.head < this.queue.length && this.queue[this.head]?.done) this.head++;
    if (this.head > 256 || this.head === this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    const next = this.queue[this.head];
    this.timer = next
      ? setTimeout(() => this.fire(), Math.max(0, next.at - performance.now())).unref()
      : undefined;
  }

  private fire(): void {
    const now = performance.now();
    for (
      let next = this.queue[this.head];
      next && (next.done || next.at <= now);
      next = this.queue[this.head]
    ) {
      this.head++;
      if (!next.done) {
        next.done = true;
        next.expire();
      }
    }
    this.arm();
  }
}
const deadlines = new Map<number, Deadlines>();
function deadlineAfter(ms: number, expire: () => void): { done: boolean } {
  let d = deadlines.get(ms);
  if (!d) deadlines.set(ms, (d = new Deadlines(ms)));
  return d.add(expire);
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
    const t = targetOf(url);
    const body = opts.json === undefined ? '' : JSON.stringify(opts.json);
    // A connection of its own, closed after the answer, as a new client would open: a repointed route is seen.
    const request =
      `${opts.method ?? 'GET'} ${t.path} HTTP/1.1\r\nHost: ${t.hostHeader}\r\nConnection: close\r\n` +
      (body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : '') +
      `\r\n${body}`;
    let raw: Buffer = EMPTY;
    let settled = false;
    // The bytes come straight into one buffer shared by every request (copied out at once), not through a
    // readable stream: a stream's buffering and events were a large share of a probe's CPU (docs/speed.md).
    const socket = net.connect({
      port: t.port,
      host: t.host,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          if (settled) return false;
          const c = Buffer.from(buf.subarray(0, n));
          raw = raw.length === 0 ? c : Buffer.concat([raw, c]);
          // The answer is taken once it is whole by its framing, as clients take it, not at the server's
          // close: through the router the close comes after the answer, as a wake-up of its own.
          try {
            const answer = readAnswer(raw, false);
            if (answer) settle(undefined, answer);
          } catch (e) {
            settle(e as Error);
          }
          return !settled;
        },
      },
    });
    const settle = (e: Error | undefined, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      deadline.done = true;
      socket.destroy();
      if (e) reject(e);
      else resolve(answer as HttpAnswer);
    };
    const deadline = deadlineAfter(opts.timeoutMs, () =>
      settle(Object.assign(new Error(`timeout of ${opts.timeoutMs}ms exceeded`), { code: 'ETIMEDOUT' })),
    );
    // Written as soon as the connection is up (the socket holds it until then).
    socket.write(request);
    socket.on('error', settle);
    socket.on('end', () => {
      if (raw.length === 0) return settle(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      try {
        settle(undefined, parseAnswer(raw));
      } catch (e) {
        settle(e as Error);
      }
    });
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
