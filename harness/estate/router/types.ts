/**
 * Shared shapes of the traffic router, imported by the in-process router, its admin API and the
 * {@link RouterClient} so that both ends of the admin wire agree on one definition.
 *
 * @module
 */

/**
 * How a route treats new connections.
 * - `forward`: pipe bytes to the current target (normal operation).
 * - `reject`: accept, then reset at once — what a client sees from a load balancer with no healthy backend.
 * - `blackhole`: accept and never answer, holding the socket until the client gives up — a network partition.
 *   Switching to it cuts the connections already open (they see a reset, and a client reconnects into the hole).
 * - `stall`: the connections already open stay open but no byte moves either way: what was sent waits (in the
 *   router and the kernel's buffers) until the route forwards again, as on a link that degraded without
 *   breaking. New connections are held like a blackhole's. Back to `forward`, the held bytes are delivered.
 */
export type RouteMode = 'forward' | 'reject' | 'blackhole' | 'stall';

/** Every {@link RouteMode}, for validation. */
export const ROUTE_MODES: readonly RouteMode[] = ['forward', 'reject', 'blackhole', 'stall'];

/** One stable endpoint: the router listens on `listen` and forwards to `target`. */
export interface RouteConfig {
  /** Unique name used to address the route over the admin API, e.g. `"app"` or `"postgres"`. */
  name: string;
  /** Port to listen on; `0` lets the OS pick one (the bound port is reported in {@link RouteState.listen}). */
  listen: number;
  /** Where new connections go, as `"host:port"` (IPv6 hosts in brackets: `"[::1]:5432"`). */
  target: string;
}

/** Configuration of a whole router process. Plain JSON, so it can travel in `ROUTER_CONFIG`. */
export interface RouterConfig {
  /** Interface the routes and the admin API bind to. Defaults to `127.0.0.1`. */
  host?: string;
  /** Port of the admin HTTP API; `0` lets the OS pick one (reported in {@link StartedRouter.adminPort}). */
  adminPort: number;
  /** Routes to serve; names and non-zero listen ports must be unique. */
  routes: RouteConfig[];
  /**
   * How long to wait for a target to accept before giving up on a connection, in ms. Defaults to 5000.
   * Bounded because a target on a partitioned host never refuses, it just never answers.
   */
  connectTimeoutMs?: number;
}

/** Live view of one route, as returned by the library and by `GET /routes`. */
export interface RouteState {
  name: string;
  /** The bound port (the real one, also when configured as `0`). */
  listen: number;
  target: string;
  mode: RouteMode;
  /** Client connections currently open on this route. */
  activeConnections: number;
  /** Client connections accepted since start. */
  totalConnections: number;
  /** Connections closed because the target could not be reached. */
  failedConnections: number;
  /** Number of successful repoints (including repoints to the same target). */
  repoints: number;
}

/** Options of a repoint. */
export interface RepointOptions {
  /** Destroy the route's existing connections too, the way a VIP move cuts old sessions. Default false. */
  reset?: boolean;
}

/** Body of `PUT /routes/:name`; at least one of `target` and `mode` must be present. */
export interface RouteUpdate {
  target?: string;
  /** Only meaningful together with `target`. */
  reset?: boolean;
  mode?: RouteMode;
}

/** A change made to a route, reported to {@link RouterHooks.onEvent} (and logged by `main.ts`). */
export type RouterEvent =
  | { event: 'repoint'; route: string; from: string; to: string; reset: boolean }
  | { event: 'mode'; route: string; from: RouteMode; to: RouteMode };

/** In-process observers of a router; kept out of {@link RouterConfig} so the config stays plain JSON. */
export interface RouterHooks {
  /** Called after every repoint and mode change. */
  onEvent?: (event: RouterEvent) => void;
  /**
   * Called for listener-level errors after start (e.g. EMFILE on accept), which would otherwise be
   * swallowed; per-connection socket errors are routine during drills and are not reported.
   */
  onError?: (error: Error, where: string) => void;
}

/** Handle on a router started with `startRouter`. */
export interface StartedRouter {
  /** The bound admin port (the real one, also when configured as `0`). */
  readonly adminPort: number;
  /** Snapshot of every route, in configuration order. */
  routes(): RouteState[];
  /**
   * Send new connections of route `name` to `target` from now on.
   * @throws Error on an unknown route or a target that is not `"host:port"`.
   */
  repoint(name: string, target: string, opts?: RepointOptions): RouteState;
  /**
   * Change how route `name` treats connections; switching to `reject` or `blackhole` also cuts the
   * existing ones, as a partition would; `stall` holds their bytes until the route forwards again.
   * @throws Error on an unknown route or mode.
   */
  setMode(name: string, mode: RouteMode): RouteState;
  /** Close all listeners, destroy all sockets and close the admin API. Safe to call more than once. */
  stop(): Promise<void>;
}
