/**
 * The traffic router: one stable TCP endpoint per route (the app, Postgres, ...) in front of a target that a
 * failover can move, the way a VIP or a DNS switch would. It forwards raw bytes, so it carries HTTP and the
 * Postgres wire protocol alike, and it can be steered in-process or through its admin HTTP API.
 *
 * @module
 */
import net from 'node:net';
import type http from 'node:http';
import { createAdminServer, type RouterAdmin } from './admin.ts';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HOST,
  isRouteMode,
  parseTarget,
  UnknownRouteError,
  validateRouterConfig,
  type ParsedTarget,
} from './config.ts';
import type {
  RepointOptions,
  RouteConfig,
  RouteMode,
  RouterConfig,
  RouterHooks,
  RouteState,
  RouteUpdate,
  StartedRouter,
} from './types.ts';

export type {
  RepointOptions,
  RouteConfig,
  RouteMode,
  RouterConfig,
  RouterEvent,
  RouterHooks,
  RouteState,
  RouteUpdate,
  StartedRouter,
} from './types.ts';
export { RouterConfigError, UnknownRouteError, parseTarget, validateRouterConfig } from './config.ts';

/** One accepted client connection and, once forwarding, its upstream socket. */
interface Connection {
  client: net.Socket;
  upstream?: net.Socket;
  /** Set while the connection is held by a blackhole; such a connection has nowhere to go afterwards. */
  held: boolean;
  /** Set while a forwarding connection is stalled: its pipes are undone, both sockets paused. */
  stalled?: boolean;
}

/** Runtime of a single route: its listener, current target, mode, counters and open connections. */
class RouteProxy {
  readonly name: string;
  readonly server: net.Server;
  listen: number;
  private target: string;
  private parsed: ParsedTarget;
  private mode: RouteMode = 'forward';
  private readonly connections = new Set<Connection>();
  private totalConnections = 0;
  private failedConnections = 0;
  private repoints = 0;

  constructor(
    config: RouteConfig,
    private readonly connectTimeoutMs: number,
  ) {
    this.name = config.name;
    this.listen = config.listen;
    this.target = config.target;
    this.parsed = parseTarget(config.target);
    // allowHalfOpen: a client that shuts down its write side must still receive the rest of the response.
    // pauseOnConnect: bytes stay in the kernel (with backpressure) until the upstream is connected.
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) =>
      this.accept(client),
    );
  }

  state(): RouteState {
    return {
      name: this.name,
      listen: this.listen,
      target: this.target,
      mode: this.mode,
      activeConnections: this.connections.size,
      totalConnections: this.totalConnections,
      failedConnections: this.failedConnections,
      repoints: this.repoints,
    };
  }

  /** Point new connections at `target`; returns the previous target. */
  repoint(target: string, reset: boolean): string {
    const parsed = parseTarget(target);
    const from = this.target;
    this.target = target;
    this.parsed = parsed;
    this.repoints += 1;
    if (reset) this.cut(() => true);
    return from;
  }

  /** Switch mode; returns the previous mode. */
  setMode(mode: RouteMode): RouteMode {
    const from = this.mode;
    this.mode = mode;
    // A partition or a closed port cuts what was open. Leaving a blackhole also drops the held sockets:
    // they were never connected to a target, so keeping them would only leave clients hanging forever.
    // A stall keeps what was open (it only holds the bytes); a stall ended by `forward` lets them flow again.
    if (mode === 'stall') {
      for (const conn of this.connections) stallConnection(conn);
      return from;
    }
    this.cut((conn) => mode !== 'forward' || conn.held);
    if (mode === 'forward') for (const conn of this.connections) resumeConnection(conn);
    return from;
  }

  /** Destroy every open connection of this route (both sides). */
  cutAll(): void {
    this.cut(() => true);
  }

  private cut(predicate: (conn: Connection) => boolean): void {
    for (const conn of this.connections) {
      if (predicate(conn)) destroyConnection(conn);
    }
  }

  private accept(client: net.Socket): void {
    const conn: Connection = { client, held: false };
    this.totalConnections += 1;
    this.connections.add(conn);
    client.setNoDelay(true);
    // Resets from clients are routine during drills; an unhandled 'error' would take the router down.
    client.on('error', () => destroyConnection(conn));
    client.once('close', () => {
      this.connections.delete(conn);
      // Still connecting upstream: nothing was piped yet, so there is nothing left to flush.
      if (conn.upstream?.connecting === true) conn.upstream.destroy();
    });
    switch (this.mode) {
      case 'forward':
        this.forward(conn);
        return;
      case 'reject':
        resetSocket(client);
        return;
      case 'blackhole':
      case 'stall':
        hold(conn);
        return;
    }
  }

  private forward(conn: Connection): void {
    const { client } = conn;
    const upstream = net.connect({ host: this.parsed.host, port: this.parsed.port, allowHalfOpen: true });
    conn.upstream = upstream;
    let connected = false;
    upstream.setNoDelay(true);
    // A partitioned target never refuses, it just never answers; bound the wait so clients are not stuck.
    const timer = setTimeout(
      () => upstream.destroy(new Error(`connect timeout after ${this.connectTimeoutMs} ms`)),
      this.connectTimeoutMs,
    );
    upstream.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      // Pipe only now: the client was accepted paused, so its first bytes wait in the kernel until here.
      if (this.mode === 'stall') {
        // Stalled while it connected: it joins the stalled connections, to flow when the route forwards.
        conn.stalled = true;
        return;
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (!connected) this.failedConnections += 1;
      destroyConnection(conn);
    });
    upstream.once('close', () => clearTimeout(timer));
  }
}

/**
 * Start a router: one TCP listener per route plus the admin HTTP API, all on `config.host`.
 *
 * `listen: 0` / `adminPort: 0` let the OS pick free ports; the bound ones are reported by
 * {@link StartedRouter.routes} and {@link StartedRouter.adminPort}.
 *
 * @throws RouterConfigError on an invalid config.
 * @throws Error naming the route (or the admin API) and port when a listen fails, e.g. EADDRINUSE; anything
 * already opened is closed again first.
 */
export async function startRouter(config: RouterConfig, hooks: RouterHooks = {}): Promise<StartedRouter> {
  const valid = validateRouterConfig(config);
  const host = valid.host ?? DEFAULT_HOST;
  const timeout = valid.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const proxies = valid.routes.map((route) => new RouteProxy(route, timeout));
  const opened: net.Server[] = [];
  try {
    for (const proxy of proxies) {
      proxy.listen = await listenOn(proxy.server, host, proxy.listen, `route "${proxy.name}"`);
      opened.push(proxy.server);
      // After listening, a server-level error (e.g. EMFILE on accept) must not crash the process.
      proxy.server.on('error', (error: Error) => hooks.onError?.(error, `route "${proxy.name}"`));
    }
    const router = new Router(proxies, hooks);
    const admin = createAdminServer(router);
    const adminPort = await listenOn(admin, host, valid.adminPort, 'admin API');
    opened.push(admin);
    admin.on('error', (error: Error) => hooks.onError?.(error, 'admin API'));
    return router.started(admin, adminPort);
  } catch (error) {
    for (const proxy of proxies) proxy.cutAll();
    await Promise.all(opened.map((server) => closeServer(server)));
    throw error;
  }
}

/** The router's control surface, shared by the in-process handle and the admin API. */
class Router implements RouterAdmin {
  private readonly byName: Map<string, RouteProxy>;

  constructor(
    private readonly proxies: RouteProxy[],
    private readonly hooks: RouterHooks,
  ) {
    this.byName = new Map(proxies.map((proxy) => [proxy.name, proxy]));
  }

  routes(): RouteState[] {
    return this.proxies.map((proxy) => proxy.state());
  }

  route(name: string): RouteState {
    return this.proxy(name).state();
  }

  repoint(name: string, target: string, opts: RepointOptions = {}): RouteState {
    const proxy = this.proxy(name);
    const reset = opts.reset === true;
    const from = proxy.repoint(target, reset);
    this.hooks.onEvent?.({ event: 'repoint', route: name, from, to: target, reset });
    return proxy.state();
  }

  setMode(name: string, mode: RouteMode): RouteState {
    const proxy = this.proxy(name);
    if (!isRouteMode(mode)) throw new Error(`route "${name}": unknown mode ${JSON.stringify(mode)}`);
    const from = proxy.setMode(mode);
    this.hooks.onEvent?.({ event: 'mode', route: name, from, to: mode });
    return proxy.state();
  }

  update(name: string, update: RouteUpdate): RouteState {
    let state = this.route(name);
    if (update.target !== undefined)
      state = this.repoint(name, update.target, { reset: update.reset === true });
    if (update.mode !== undefined) state = this.setMode(name, update.mode);
    return state;
  }

  /** Wrap into the public handle; `stop` is memoised so concurrent and repeated calls share one shutdown. */
  started(admin: http.Server, adminPort: number): StartedRouter {
    let stopping: Promise<void> | undefined;
    return {
      adminPort,
      routes: () => this.routes(),
      repoint: (name, target, opts) => this.repoint(name, target, opts),
      setMode: (name, mode) => this.setMode(name, mode),
      stop: () => (stopping ??= this.stop(admin)),
    };
  }

  private async stop(admin: http.Server): Promise<void> {
    const closing = this.proxies.map((proxy) => closeServer(proxy.server));
    for (const proxy of this.proxies) proxy.cutAll();
    // Keep-alive admin clients would otherwise hold close() open until they time out.
    admin.closeAllConnections();
    closing.push(closeServer(admin));
    await Promise.all(closing);
  }

  private proxy(name: string): RouteProxy {
    const proxy = this.byName.get(name);
    if (proxy === undefined) throw new UnknownRouteError(name);
    return proxy;
  }
}

/** Accept-and-ignore: read and discard so a client's FIN is noticed, but never answer. */
function hold(conn: Connection): void {
  conn.held = true;
  conn.client.on('end', () => conn.client.destroy());
  conn.client.resume();
}

/**
 * Hold a forwarding connection's bytes both ways: undo the pipes (what was read stays buffered in the
 * router) and stop reading, so the kernel's buffers fill and each sender's TCP window closes, as on a
 * degraded link. The sockets stay open.
 */
function stallConnection(conn: Connection): void {
  const { client, upstream } = conn;
  if (conn.held || conn.stalled || !upstream || upstream.connecting) return;
  conn.stalled = true;
  client.unpipe(upstream);
  upstream.unpipe(client);
  client.pause();
  upstream.pause();
}

/** Let a stalled connection flow again: what it held is delivered first, in order. */
function resumeConnection(conn: Connection): void {
  const { client, upstream } = conn;
  if (!conn.stalled || !upstream) return;
  conn.stalled = false;
  client.pipe(upstream);
  upstream.pipe(client);
  client.resume();
  upstream.resume();
}

function destroyConnection(conn: Connection): void {
  resetSocket(conn.client);
  conn.upstream?.destroy();
}

// An RST rather than a FIN: a VIP move or a closed port makes the client's next packet bounce, and clients
// (pg, HTTP agents) should see the same "connection reset" they would in production.
function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  socket.resetAndDestroy();
}

function listenOn(server: net.Server, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new Error(`${what} could not listen on ${host}:${port}: ${error.code ?? error.message}`, {
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    // The error case is "not running", which is the state we want anyway.
    server.close(() => resolve());
  });
}
