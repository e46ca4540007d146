import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RouterClient } from './client.ts';
import { startRouter, type RouterConfig, type RouterEvent, type StartedRouter } from './router.ts';
import type { RouteMode, RouteState } from './types.ts';

const HOST = '127.0.0.1';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = 'harness/estate/router/main.ts';

// Everything a test starts registers its teardown here; afterEach runs them newest first.
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// ---------------------------------------------------------------------------------------------------------
// Fixtures: tiny backends and clients on real sockets
// ---------------------------------------------------------------------------------------------------------

interface Backend {
  name: string;
  port: number;
  target: string;
  /** Sockets currently open on the backend side. */
  sockets: Set<net.Socket>;
}

/** TCP backend that greets with `"<name>\n"`, echoes what it gets, and ends when the client ends. */
async function startBackend(name: string): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    socket.write(`${name}\n`);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end());
  });
  const port = await listen(server);
  cleanups.push(() => closeServer(server, sockets));
  return { name, port, target: `${HOST}:${port}`, sockets };
}

/** HTTP backend answering every request with `"hello from <name>"`. */
async function startHttpBackend(name: string): Promise<Backend> {
  const server = http.createServer((_req, res) => res.end(`hello from ${name}`));
  const port = await listen(server);
  cleanups.push(() => {
    server.closeAllConnections();
    return closeServer(server, new Set());
  });
  return { name, port, target: `${HOST}:${port}`, sockets: new Set() };
}

async function listen(server: net.Server, port = 0): Promise<number> {
  server.listen(port, HOST);
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

async function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  if (!server.listening) return;
  await new Promise((resolve) => server.close(resolve));
}

/**
 * A target whose handshakes never complete, like a host behind a partition: a child process listens with a
 * backlog of 1 and then spins without ever accepting, and two connections fill its accept queue, so the
 * kernel drops every further SYN. (Any normal local listener would complete the handshake in the kernel.)
 */
async function startUnresponsiveTarget(): Promise<string> {
  const code = [
    "const s = require('node:net').createServer();",
    "s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {",
    "  process.stdout.write(s.address().port + '\\n');",
    '  for (;;);',
    '});',
  ].join('\n');
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  cleanups.push(async () => {
    proc.kill('SIGKILL');
    await exited;
  });
  const [chunk] = (await once(proc.stdout, 'data')) as [Buffer];
  const port = Number(chunk.toString('utf8').trim());
  await Promise.all([connectClient(port), connectClient(port)]);
  return `${HOST}:${port}`;
}

/** A port that was free a moment ago and has nobody listening now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await closeServer(server, new Set());
  return port;
}

interface TestClient {
  socket: net.Socket;
  received(): string;
  /** Resolves when the socket has closed (for any reason). */
  closed: Promise<void>;
  isClosed(): boolean;
  waitFor(text: string): Promise<void>;
}

async function connectClient(port: number): Promise<TestClient> {
  const socket = net.connect({ host: HOST, port, allowHalfOpen: true });
  let data = '';
  let closed = false;
  socket.on('error', () => undefined); // resets are expected in several tests
  socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
  // Not events.once: it rejects on 'error', and a reset is a legitimate way for these sockets to end.
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  cleanups.push(() => socket.destroy());
  // A router that resets at once (reject mode) can make the connect itself fail with ECONNRESET: the
  // handshake completed, but the RST landed before the connect result was read. Treat that as connected.
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', resolve);
  });
  return {
    socket,
    received: () => data,
    closed: closedPromise,
    isClosed: () => closed,
    waitFor: (text) => vi.waitFor(() => expect(data).toContain(text), { timeout: 2000, interval: 10 }),
  };
}

async function router(config: Partial<RouterConfig> & Pick<RouterConfig, 'routes'>): Promise<StartedRouter> {
  const started = await startRouter({ adminPort: 0, ...config });
  cleanups.push(() => started.stop());
  return started;
}

function route(started: StartedRouter, name = 'app'): RouteState {
  const state = started.routes().find((r) => r.name === name);
  if (state === undefined) throw new Error(`no route ${name}`);
  return state;
}

/** Fails the test if `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------
// Forwarding and repointing
// ---------------------------------------------------------------------------------------------------------

describe('forwarding', () => {
  it('forwards bytes both ways to the target and reports the bound port', async () => {
    const a = await startBackend('A');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    const state = route(r);
    expect(state.listen).toBeGreaterThan(0);
    expect(r.adminPort).toBeGreaterThan(0);

    const client = await connectClient(state.listen);
    await client.waitFor('A\n');
    client.socket.write('ping');
    await client.waitFor('A\nping');
    expect(route(r)).toMatchObject({ activeConnections: 1, totalConnections: 1, failedConnections: 0 });

    client.socket.destroy();
    await vi.waitFor(() => expect(route(r).activeConnections).toBe(0), { timeout: 2000 });
  });

  it('delivers the whole response after the client half-closes', async () => {
    const a = await startBackend('A');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    const client = await connectClient(route(r).listen);
    client.socket.end('last words');
    await within(client.closed, 2000, 'orderly close');
    expect(client.received()).toBe('A\nlast words');
  });

  it('carries a large payload intact (backpressure through the pipes)', async () => {
    const a = await startBackend('A');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    const client = await connectClient(route(r).listen);
    const payload = 'x'.repeat(4 * 1024 * 1024);
    client.socket.end(payload);
    await within(client.closed, 10_000, 'echo of 4 MiB');
    expect(client.received().length).toBe(2 + payload.length);
  });

  it('carries HTTP', async () => {
    const web = await startHttpBackend('web');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: web.target }] });
    const res = await fetch(`http://${HOST}:${route(r).listen}/`);
    expect(await res.text()).toBe('hello from web');
  });

  it('sends new connections to the new target after a repoint, leaving old ones alone', async () => {
    const [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
    const events: RouterEvent[] = [];
    const r = await startRouter(
      { adminPort: 0, routes: [{ name: 'app', listen: 0, target: a.target }] },
      { onEvent: (event) => events.push(event) },
    );
    cleanups.push(() => r.stop());
    const port = route(r).listen;
    const old = await connectClient(port);
    await old.waitFor('A\n');

    const state = r.repoint('app', b.target);
    expect(state).toMatchObject({ target: b.target, repoints: 1 });
    expect(events).toEqual([{ event: 'repoint', route: 'app', from: a.target, to: b.target, reset: false }]);

    const fresh = await connectClient(port);
    await fresh.waitFor('B\n');
    // Without reset the existing session keeps talking to A.
    old.socket.write('still here');
    await old.waitFor('A\nstill here');
    expect(old.isClosed()).toBe(false);
  });

  it('cuts existing connections on repoint with reset, like a VIP move', async () => {
    const [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    const old = await connectClient(route(r).listen);
    await old.waitFor('A\n');
    expect(a.sockets.size).toBe(1);

    r.repoint('app', b.target, { reset: true });
    await within(old.closed, 1000, 'client side cut');
    await vi.waitFor(() => expect(a.sockets.size).toBe(0), { timeout: 1000 });

    const fresh = await connectClient(route(r).listen);
    await fresh.waitFor('B\n');
  });

  it('closes the client promptly and counts a failure when the target is down', async () => {
    const down = await freePort();
    const r = await router({ routes: [{ name: 'db', listen: 0, target: `${HOST}:${down}` }] });
    const client = await connectClient(route(r, 'db').listen);
    await within(client.closed, 1000, 'close on refused target');
    expect(route(r, 'db')).toMatchObject({ failedConnections: 1, totalConnections: 1 });
    await vi.waitFor(() => expect(route(r, 'db').activeConnections).toBe(0), { timeout: 1000 });
  });

  it('gives up on a target that never answers after connectTimeoutMs', async () => {
    const silent = await startUnresponsiveTarget();
    const r = await router({ connectTimeoutMs: 200, routes: [{ name: 'db', listen: 0, target: silent }] });
    const client = await connectClient(route(r, 'db').listen);
    const started = Date.now();
    await within(client.closed, 2000, 'close after connect timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(route(r, 'db').failedConnections).toBe(1);
  });

  it('validates repoint and setMode arguments', async () => {
    const a = await startBackend('A');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    expect(() => r.repoint('nope', a.target)).toThrow(/unknown route "nope"/);
    expect(() => r.repoint('app', 'localhost')).toThrow(/"host:port"/);
    expect(() => r.repoint('app', 'localhost:0')).toThrow(/port 1-65535/);
    expect(() => r.setMode('app', 'sideways' as RouteMode)).toThrow(/unknown mode/);
    expect(() => r.setMode('nope', 'reject')).toThrow(/unknown route/);
    expect(route(r)).toMatchObject({ target: a.target, mode: 'forward', repoints: 0 });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Modes
// ---------------------------------------------------------------------------------------------------------

describe('modes', () => {
  it('reject: accepts and closes at once without reaching the target', async () => {
    const a = await startBackend('A');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    r.setMode('app', 'reject');
    const client = await connectClient(route(r).listen);
    await within(client.closed, 1000, 'reject close');
    expect(client.received()).toBe('');
    expect(route(r)).toMatchObject({ mode: 'reject', totalConnections: 1, failedConnections: 0 });
  });

  it('blackhole: holds the connection open and never forwards', async () => {
    const a = await startBackend('A');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    r.setMode('app', 'blackhole');
    const client = await connectClient(route(r).listen);
    client.socket.write('anyone there?');
    await sleep(300);
    expect(client.isClosed()).toBe(false);
    expect(client.received()).toBe('');
    expect(a.sockets.size).toBe(0);
    expect(route(r).activeConnections).toBe(1);

    // The client giving up is noticed and the held socket is released.
    client.socket.end();
    await within(client.closed, 1000, 'release after client FIN');
    await vi.waitFor(() => expect(route(r).activeConnections).toBe(0), { timeout: 1000 });
  });

  it('switching to reject or blackhole cuts existing connections; forward heals', async () => {
    const a = await startBackend('A');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    const port = route(r).listen;

    const first = await connectClient(port);
    await first.waitFor('A\n');
    r.setMode('app', 'blackhole');
    await within(first.closed, 1000, 'cut on blackhole');

    const held = await connectClient(port);
    r.setMode('app', 'reject');
    await within(held.closed, 1000, 'cut on reject');

    r.setMode('app', 'forward');
    const healed = await connectClient(port);
    await healed.waitFor('A\n');
  });

  it('stall: open connections stay open, their bytes held both ways until forward delivers them', async () => {
    const a = await startBackend('A');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    const client = await connectClient(route(r).listen);
    await client.waitFor('A\n');
    r.setMode('app', 'stall');
    client.socket.write('held-1 ');
    client.socket.write('held-2');
    await sleep(300);
    expect(client.isClosed()).toBe(false);
    expect(client.received()).toBe('A\n');
    expect(a.sockets.size).toBe(1);
    // A new connection during the stall is held, never forwarded.
    const late = await connectClient(route(r).listen);
    await sleep(100);
    expect(late.received()).toBe('');
    expect(a.sockets.size).toBe(1);

    r.setMode('app', 'forward');
    await client.waitFor('A\nheld-1 held-2');
    await within(late.closed, 1000, 'held connection released on forward');
  });

  it('leaving blackhole releases held sockets, which never had a target', async () => {
    const a = await startBackend('A');
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    r.setMode('app', 'blackhole');
    const held = await connectClient(route(r).listen);
    await vi.waitFor(() => expect(route(r).activeConnections).toBe(1), { timeout: 1000 });
    r.setMode('app', 'forward');
    await within(held.closed, 1000, 'release on forward');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------------------

describe('lifecycle', () => {
  it('stop() closes listeners and sockets, frees the ports, and is idempotent', async () => {
    const a = await startBackend('A');
    const r = await startRouter({ adminPort: 0, routes: [{ name: 'app', listen: 0, target: a.target }] });
    const port = route(r).listen;
    const client = await connectClient(port);
    await client.waitFor('A\n');

    await Promise.all([r.stop(), r.stop()]);
    await r.stop();
    await within(client.closed, 1000, 'client cut on stop');
    await vi.waitFor(() => expect(a.sockets.size).toBe(0), { timeout: 1000 });
    // Both ports can be bound again.
    for (const p of [port, r.adminPort]) {
      const probe = net.createServer();
      await listen(probe, p);
      await closeServer(probe, new Set());
    }
  });

  it('rejects with the route name and port on EADDRINUSE and closes what it had opened', async () => {
    const squatter = net.createServer();
    const taken = await listen(squatter);
    cleanups.push(() => closeServer(squatter, new Set()));
    const first = await freePort();

    await expect(
      startRouter({
        adminPort: 0,
        routes: [
          { name: 'app', listen: first, target: `${HOST}:1` },
          { name: 'db', listen: taken, target: `${HOST}:1` },
        ],
      }),
    ).rejects.toThrow(new RegExp(`route "db" could not listen on ${HOST}:${taken}: EADDRINUSE`));

    // The route that did bind was closed again.
    const probe = net.createServer();
    await listen(probe, first);
    await closeServer(probe, new Set());
  });

  it('names the admin API when its port is taken', async () => {
    const squatter = net.createServer();
    const taken = await listen(squatter);
    cleanups.push(() => closeServer(squatter, new Set()));
    await expect(
      startRouter({ adminPort: taken, routes: [{ name: 'app', listen: 0, target: `${HOST}:1` }] }),
    ).rejects.toThrow(/admin API could not listen .*EADDRINUSE/);
  });

  it('rejects an invalid config before binding anything', async () => {
    const routes = [
      { name: 'app', listen: 0, target: `${HOST}:1` },
      { name: 'app', listen: 0, target: `${HOST}:2` },
    ];
    await expect(startRouter({ adminPort: 0, routes })).rejects.toThrow(/duplicate route name "app"/);
    await expect(
      startRouter({ adminPort: 0, routes: [{ name: 'app', listen: 0, target: 'nope' }] }),
    ).rejects.toThrow(/routes\[0\]\.target must be "host:port"/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Admin API
// ---------------------------------------------------------------------------------------------------------

describe('admin API', () => {
  async function adminRouter(): Promise<{ r: StartedRouter; base: string; a: Backend; b: Backend }> {
    const [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    return { r, base: `http://${HOST}:${r.adminPort}`, a, b };
  }

  async function put(base: string, name: string, body: string): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${base}/routes/${name}`, { method: 'PUT', body });
    return { status: res.status, json: await res.json() };
  }

  it('serves /health and /routes', async () => {
    const { r, base, a } = await adminRouter();
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const routes = await fetch(`${base}/routes`);
    expect(routes.status).toBe(200);
    expect(await routes.json()).toEqual([
      {
        name: 'app',
        listen: route(r).listen,
        target: a.target,
        mode: 'forward',
        activeConnections: 0,
        totalConnections: 0,
        failedConnections: 0,
        repoints: 0,
      },
    ]);
  });

  it('repoints and changes mode with PUT /routes/:name', async () => {
    const { r, base, b } = await adminRouter();
    const repointed = await put(base, 'app', JSON.stringify({ target: b.target, reset: true }));
    expect(repointed.status).toBe(200);
    expect(repointed.json).toMatchObject({ name: 'app', target: b.target, repoints: 1 });

    const moded = await put(base, 'app', JSON.stringify({ mode: 'blackhole' }));
    expect(moded.json).toMatchObject({ mode: 'blackhole' });
    expect(route(r).mode).toBe('blackhole');
  });

  it.each([
    ['invalid JSON', '{"target":', /valid JSON/],
    ['an empty update', '{}', /target and\/or mode/],
    ['a non-object', '[1]', /JSON object/],
    ['a malformed target', '{"target":"db.internal"}', /"host:port"/],
    ['a misspelt key', '{"taget":"127.0.0.1:5432"}', /unknown key "taget"/],
    ['an unknown mode', '{"mode":"sideways"}', /mode must be one of/],
    ['reset without target', '{"reset":true}', /reset is only allowed together with target/],
    ['a non-boolean reset', '{"target":"127.0.0.1:5432","reset":"yes"}', /reset must be a boolean/],
  ])('answers 400 to %s and changes nothing', async (_what, body, message) => {
    const { r, base, a } = await adminRouter();
    const res = await put(base, 'app', body);
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toMatch(message);
    expect(route(r)).toMatchObject({ target: a.target, mode: 'forward', repoints: 0 });
  });

  it('answers 404 to an unknown route or path and 405 to a wrong method', async () => {
    const { base, b } = await adminRouter();
    const unknown = await put(base, 'nope', JSON.stringify({ target: b.target }));
    expect(unknown).toEqual({ status: 404, json: { error: 'unknown route "nope"' } });
    expect((await fetch(`${base}/routes/nope`)).status).toBe(404);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/routes`, { method: 'DELETE' })).status).toBe(405);
  });
});

// ---------------------------------------------------------------------------------------------------------
// RouterClient
// ---------------------------------------------------------------------------------------------------------

describe('RouterClient', () => {
  it('steers an in-process router', async () => {
    const [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
    const r = await router({ routes: [{ name: 'app', listen: 0, target: a.target }] });
    const client = new RouterClient(`http://${HOST}:${r.adminPort}`);

    expect(await client.health()).toBe(true);
    expect(await client.routes()).toEqual(r.routes());

    const old = await connectClient(route(r).listen);
    await old.waitFor('A\n');
    expect(await client.repoint('app', b.target, { reset: true })).toMatchObject({
      target: b.target,
      repoints: 1,
    });
    await within(old.closed, 1000, 'reset via client');

    expect(await client.setMode('app', 'reject')).toMatchObject({ mode: 'reject' });
    expect(route(r).mode).toBe('reject');
  });

  it('throws errors naming the route and the admin error text', async () => {
    const r = await router({ routes: [{ name: 'app', listen: 0, target: `${HOST}:1` }] });
    const client = new RouterClient(`http://${HOST}:${r.adminPort}`);
    await expect(client.repoint('nope', `${HOST}:2`)).rejects.toThrow(
      /route "nope": repoint to 127\.0\.0\.1:2 failed: HTTP 404: unknown route "nope"/,
    );
    await expect(client.repoint('app', 'garbage')).rejects.toThrow(
      /route "app".*HTTP 400: target must be "host:port"/,
    );
    await expect(client.setMode('app', 'sideways' as RouteMode)).rejects.toThrow(
      /route "app".*mode must be one of/,
    );
  });

  it('reports an unreachable router: health false, calls throw', async () => {
    const client = new RouterClient(`http://${HOST}:${await freePort()}`);
    expect(await client.health()).toBe(false);
    await expect(client.routes()).rejects.toThrow(/list routes failed: .*ECONNREFUSED/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// main.ts as a child process
// ---------------------------------------------------------------------------------------------------------

describe('main.ts', () => {
  interface Child {
    proc: ChildProcess;
    /** Next stdout line (each call consumes one). */
    nextLine(): Promise<string>;
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    stderr(): string;
  }

  function runMain(routerConfig: string | undefined): Child {
    const env = { ...process.env };
    delete env.ROUTER_CONFIG;
    if (routerConfig !== undefined) env.ROUTER_CONFIG = routerConfig;
    const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], { cwd: ROOT, env, stdio: 'pipe' });
    const exit = once(proc, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    cleanups.push(async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exit;
    });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    return {
      proc,
      exit,
      stderr: () => stderr,
      nextLine: async () => {
        const next = await within(lines.next(), 15_000, 'a stdout line from main.ts');
        if (next.done === true) throw new Error(`main.ts stdout ended; stderr: ${stderr}`);
        return next.value;
      },
    };
  }

  it('prints one listening line, logs repoints, and exits 0 on SIGTERM', { timeout: 30_000 }, async () => {
    const a = await startBackend('A');
    const b = await startBackend('B');
    const child = runMain(
      JSON.stringify({ adminPort: 0, routes: [{ name: 'app', listen: 0, target: a.target }] }),
    );

    const listening = JSON.parse(await child.nextLine()) as {
      event: string;
      adminPort: number;
      routes: RouteState[];
    };
    expect(listening.event).toBe('listening');
    expect(listening.adminPort).toBeGreaterThan(0);
    expect(listening.routes).toMatchObject([{ name: 'app', target: a.target, mode: 'forward' }]);

    const appPort = listening.routes[0]?.listen ?? 0;
    const viaChild = await connectClient(appPort);
    await viaChild.waitFor('A\n');

    const client = new RouterClient(`http://${HOST}:${listening.adminPort}`);
    await client.repoint('app', b.target, { reset: true });
    expect(JSON.parse(await child.nextLine())).toEqual({
      event: 'repoint',
      route: 'app',
      from: a.target,
      to: b.target,
      reset: true,
    });
    await client.setMode('app', 'reject');
    expect(JSON.parse(await child.nextLine())).toEqual({
      event: 'mode',
      route: 'app',
      from: 'forward',
      to: 'reject',
    });

    child.proc.kill('SIGTERM');
    expect(await within(child.exit, 10_000, 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
    expect(child.stderr()).toBe('');
  });

  it('exits 1 naming the route and port when a listen fails', { timeout: 30_000 }, async () => {
    const squatter = net.createServer();
    const taken = await listen(squatter);
    cleanups.push(() => closeServer(squatter, new Set()));
    const child = runMain(
      JSON.stringify({ adminPort: 0, routes: [{ name: 'db', listen: taken, target: `${HOST}:1` }] }),
    );
    expect(await within(child.exit, 15_000, 'exit on EADDRINUSE')).toEqual({ code: 1, signal: null });
    expect(child.stderr()).toBe(
      `router: failed to start: route "db" could not listen on ${HOST}:${taken}: EADDRINUSE\n`,
    );
  });

  it.each([
    ['a missing ROUTER_CONFIG', undefined, /^router: ROUTER_CONFIG is not set\n$/],
    ['invalid JSON', '{"adminPort":', /^router: ROUTER_CONFIG is not valid JSON: .*\n$/],
    [
      'a bad target',
      JSON.stringify({ adminPort: 0, routes: [{ name: 'db', listen: 0, target: 'postgres' }] }),
      /^router: invalid ROUTER_CONFIG: routes\[0\]\.target must be "host:port".*\n$/,
    ],
    [
      'missing routes',
      JSON.stringify({ adminPort: 0 }),
      /^router: invalid ROUTER_CONFIG: routes must be .*\n$/,
    ],
  ])('exits 2 with one clear stderr line on %s', { timeout: 30_000 }, async (_what, config, message) => {
    const child = runMain(config);
    expect(await within(child.exit, 15_000, 'exit on bad config')).toEqual({ code: 2, signal: null });
    expect(child.stderr()).toMatch(message);
  });
});
