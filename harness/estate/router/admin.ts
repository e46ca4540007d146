/**
 * The router's admin HTTP API, so a harness in another process can steer routes during a drill:
 *
 * - `GET /health` → 200 `{"status":"ok"}`
 * - `GET /routes` → 200 `RouteState[]`
 * - `GET /routes/:name` → 200 `RouteState` | 404
 * - `PUT /routes/:name` with `{"target"?, "reset"?, "mode"?}` → 200 `RouteState` | 400 | 404
 *
 * Errors are `{"error": "..."}` bodies.
 *
 * @module
 */
import http from 'node:http';
import { RouterConfigError, UnknownRouteError, validateRouteUpdate } from './config.ts';
import type { RouteState, RouteUpdate } from './types.ts';

/** What the admin API needs from a router. */
export interface RouterAdmin {
  routes(): RouteState[];
  /** @throws UnknownRouteError */
  route(name: string): RouteState;
  /** @throws UnknownRouteError */
  update(name: string, update: RouteUpdate): RouteState;
}

/** An answer to send: status code and JSON body. */
interface Reply {
  status: number;
  body: unknown;
}

// Update bodies are a few dozen bytes; anything this large is a mistake, not a request to buffer.
const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Create (but do not bind) the admin HTTP server for `router`. */
export function createAdminServer(router: RouterAdmin): http.Server {
  return http.createServer((req, res) => {
    void handle(router, req)
      .then((reply) => send(res, reply))
      // Only reachable if the response itself fails (client gone); nothing to answer, just drop it.
      .catch(() => res.destroy());
  });
}

async function handle(router: RouterAdmin, req: http.IncomingMessage): Promise<Reply> {
  try {
    return await dispatch(router, req);
  } catch (error) {
    return errorReply(error);
  }
}

async function dispatch(router: RouterAdmin, req: http.IncomingMessage): Promise<Reply> {
  const { pathname } = new URL(req.url ?? '/', 'http://router.invalid');
  const method = req.method ?? 'GET';
  if (pathname === '/health') {
    requireMethod(method, ['GET']);
    return { status: 200, body: { status: 'ok' } };
  }
  if (pathname === '/routes') {
    requireMethod(method, ['GET']);
    return { status: 200, body: router.routes() };
  }
  const match = /^\/routes\/([^/]+)$/.exec(pathname);
  if (match?.[1] !== undefined) {
    requireMethod(method, ['GET', 'PUT']);
    const name = decodeName(match[1]);
    if (method === 'GET') return { status: 200, body: router.route(name) };
    const body = await readJson(req);
    router.route(name); // Unknown route is a 404 even when the body is also wrong.
    return { status: 200, body: router.update(name, validateRouteUpdate(body)) };
  }
  throw new HttpError(404, `no such endpoint: ${method} ${pathname}`);
}

function errorReply(error: unknown): Reply {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.message } };
  if (error instanceof UnknownRouteError) return { status: 404, body: { error: error.message } };
  if (error instanceof RouterConfigError) return { status: 400, body: { error: error.message } };
  return { status: 500, body: { error: error instanceof Error ? error.message : String(error) } };
}

function requireMethod(method: string, allowed: string[]): void {
  if (!allowed.includes(method)) throw new HttpError(405, `method ${method} not allowed`);
}

function decodeName(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, 'route name is not valid percent-encoding');
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'body must be valid JSON');
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}
