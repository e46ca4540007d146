/**
 * Client for a running router's admin API — how the harness steers traffic during a drill.
 *
 * @module
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { RepointOptions, RouteMode, RouteState, RouteUpdate } from './types.ts';

export type { RepointOptions, RouteMode, RouteState, RouteUpdate } from './types.ts';

// The router is local and answers from memory; a slow answer means it is wedged, and drills measure time.
const TIMEOUT_MS = 2000;

/** Steers a router through its admin HTTP API (see `admin.ts`). */
export class RouterClient {
  private readonly http: AxiosInstance;

  /** @param adminUrl base URL of the admin API, e.g. `http://127.0.0.1:9100`. */
  constructor(readonly adminUrl: string) {
    this.http = axios.create({
      baseURL: adminUrl,
      timeout: TIMEOUT_MS,
      // Never route harness traffic through an HTTP(S)_PROXY from the environment.
      proxy: false,
      // Statuses are mapped to errors below, with the router's own error text.
      validateStatus: () => true,
    });
  }

  /**
   * Current state of every route.
   * @throws Error when the admin API is unreachable or answers with an error.
   */
  async routes(): Promise<RouteState[]> {
    return this.request<RouteState[]>('list routes', 'GET', '/routes');
  }

  /**
   * Send new connections of route `name` to `target` (`"host:port"`); `reset: true` also cuts open ones.
   * @throws Error naming the route and the admin API's error text.
   */
  async repoint(name: string, target: string, opts: RepointOptions = {}): Promise<RouteState> {
    const body: RouteUpdate = { target };
    if (opts.reset !== undefined) body.reset = opts.reset;
    return this.update(name, body, `repoint to ${target}`);
  }

  /**
   * Switch route `name` to `mode` (`forward`, `reject`, `blackhole`, `stall`).
   * @throws Error naming the route and the admin API's error text.
   */
  async setMode(name: string, mode: RouteMode): Promise<RouteState> {
    return this.update(name, { mode }, `set mode ${mode}`);
  }

  /** True when the admin API answers `GET /health` with 200; false on any failure (never throws). */
  async health(): Promise<boolean> {
    try {
      const res = await this.http.get<unknown>('/health');
      return res.status === 200;
    } catch {
      return false;
    }
  }

  private async update(name: string, body: RouteUpdate, action: string): Promise<RouteState> {
    return this.request<RouteState>(
      `route "${name}": ${action}`,
      'PUT',
      `/routes/${encodeURIComponent(name)}`,
      body,
    );
  }

  private async request<T>(what: string, method: 'GET' | 'PUT', url: string, data?: unknown): Promise<T> {
    let res: AxiosResponse<unknown>;
    try {
      res = await this.http.request<unknown>({ method, url, data });
    } catch (error) {
      throw new Error(`router ${this.adminUrl}: ${what} failed: ${describe(error)}`, { cause: error });
    }
    if (res.status !== 200) {
      throw new Error(`router ${this.adminUrl}: ${what} failed: HTTP ${res.status}: ${errorText(res.data)}`);
    }
    return res.data as T;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `error` field of the router's JSON error body, or the raw body when it is something else. */
function errorText(data: unknown): string {
  if (typeof data === 'object' && data !== null && 'error' in data && typeof data.error === 'string') {
    return data.error;
  }
  return typeof data === 'string' ? data : JSON.stringify(data);
}
