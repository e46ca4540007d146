/**
 * Validation of router input: the config (from `ROUTER_CONFIG` or a caller) and admin update bodies.
 * Every failure is a {@link RouterConfigError} whose message names the offending field, because these
 * messages end up as the one line an operator reads when a drill fails to start.
 *
 * @module
 */
import {
  ROUTE_MODES,
  type RouteConfig,
  type RouteMode,
  type RouterConfig,
  type RouteUpdate,
} from './types.ts';

/** Thrown for any invalid config, target or update body; the message names the offending field. */
export class RouterConfigError extends Error {
  override name = 'RouterConfigError';
}

/** Thrown when an operation names a route the router does not have (the admin API answers 404). */
export class UnknownRouteError extends Error {
  override name = 'UnknownRouteError';
  constructor(readonly route: string) {
    super(`unknown route ${JSON.stringify(route)}`);
  }
}

/** A parsed `"host:port"` target. */
export interface ParsedTarget {
  host: string;
  port: number;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

// Host is either a bracketed IPv6 literal or anything without colons/whitespace (IPv4 or a name).
const TARGET_PATTERN = /^(?:\[([\d.:a-f]+)\]|([^\s:[\]]+)):(\d{1,5})$/i;

/**
 * Parse a `"host:port"` target.
 * @throws RouterConfigError when the format or the port (1–65535) is wrong.
 */
export function parseTarget(target: string, field = 'target'): ParsedTarget {
  const match = TARGET_PATTERN.exec(target);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !(port >= 1 && port <= 65535)) {
    throw new RouterConfigError(
      `${field} must be "host:port" with a port 1-65535, got ${JSON.stringify(target)}`,
    );
  }
  return { host, port };
}

/** True when `value` is one of the {@link RouteMode}s. */
export function isRouteMode(value: unknown): value is RouteMode {
  return typeof value === 'string' && (ROUTE_MODES as readonly string[]).includes(value);
}

/**
 * Check an untrusted value (typically parsed JSON) and return it as a {@link RouterConfig}.
 * @throws RouterConfigError naming the first wrong field.
 */
export function validateRouterConfig(value: unknown): RouterConfig {
  const raw = requireObject(value, 'config');
  rejectUnknownKeys(raw, ['host', 'adminPort', 'routes', 'connectTimeoutMs'], 'config');
  if (raw.host !== undefined && (typeof raw.host !== 'string' || raw.host === '')) {
    throw new RouterConfigError(`host must be a non-empty string, got ${JSON.stringify(raw.host)}`);
  }
  const config: RouterConfig = {
    adminPort: requirePort(raw.adminPort, 'adminPort'),
    routes: validateRoutes(raw.routes),
  };
  if (typeof raw.host === 'string') config.host = raw.host;
  if (raw.connectTimeoutMs !== undefined) config.connectTimeoutMs = requireTimeout(raw.connectTimeoutMs);
  return config;
}

/**
 * Check an untrusted `PUT /routes/:name` body.
 * @throws RouterConfigError naming the first wrong field.
 */
export function validateRouteUpdate(value: unknown): RouteUpdate {
  const raw = requireObject(value, 'body');
  rejectUnknownKeys(raw, ['target', 'reset', 'mode'], 'body');
  const update: RouteUpdate = {};
  if (raw.target !== undefined) {
    if (typeof raw.target !== 'string') throw new RouterConfigError('target must be a "host:port" string');
    parseTarget(raw.target);
    update.target = raw.target;
  }
  if (raw.reset !== undefined) {
    if (typeof raw.reset !== 'boolean') throw new RouterConfigError('reset must be a boolean');
    // A reset without a target would silently do nothing; say so instead.
    if (update.target === undefined)
      throw new RouterConfigError('reset is only allowed together with target');
    update.reset = raw.reset;
  }
  if (raw.mode !== undefined) {
    if (!isRouteMode(raw.mode)) {
      throw new RouterConfigError(
        `mode must be one of ${ROUTE_MODES.join(', ')}, got ${JSON.stringify(raw.mode)}`,
      );
    }
    update.mode = raw.mode;
  }
  if (update.target === undefined && update.mode === undefined) {
    throw new RouterConfigError('body must set target and/or mode');
  }
  return update;
}

function validateRoutes(value: unknown): RouteConfig[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new RouterConfigError('routes must be a non-empty array');
  }
  const routes = value.map((item: unknown, i) => validateRoute(item, `routes[${i}]`));
  assertUnique(
    routes.map((r) => r.name),
    'route name',
  );
  // Port 0 means "any free port", so several routes may legitimately ask for it.
  assertUnique(
    routes.filter((r) => r.listen !== 0).map((r) => String(r.listen)),
    'listen port',
  );
  return routes;
}

function validateRoute(value: unknown, path: string): RouteConfig {
  const raw = requireObject(value, path);
  rejectUnknownKeys(raw, ['name', 'listen', 'target'], path);
  if (typeof raw.name !== 'string' || raw.name === '') {
    throw new RouterConfigError(`${path}.name must be a non-empty string`);
  }
  if (typeof raw.target !== 'string')
    throw new RouterConfigError(`${path}.target must be a "host:port" string`);
  parseTarget(raw.target, `${path}.target`);
  return { name: raw.name, listen: requirePort(raw.listen, `${path}.listen`), target: raw.target };
}

function requireObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RouterConfigError(`${path} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

// Unknown keys are errors rather than ignored: a typo like "taget" must not silently keep the old target.
function rejectUnknownKeys(raw: Record<string, unknown>, allowed: readonly string[], path: string): void {
  const unknown = Object.keys(raw).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw new RouterConfigError(
      `${path} has unknown key ${JSON.stringify(unknown)} (allowed: ${allowed.join(', ')})`,
    );
  }
}

function requirePort(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RouterConfigError(`${path} must be an integer port 0-65535, got ${JSON.stringify(value)}`);
  }
  return value;
}

function requireTimeout(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RouterConfigError(`connectTimeoutMs must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function assertUnique(values: string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new RouterConfigError(`duplicate ${what} ${JSON.stringify(value)}`);
    seen.add(value);
  }
}
