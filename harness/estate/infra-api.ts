/**
 * The infrastructure API: a stand-in for the parts of an estate that have no command an operator types, so
 * that runbook blocks can still perform them the way they would against a real platform. It stands in for
 *
 * - the clients' database endpoint (a VIP move or a DNS change): `POST /endpoints/db {"to":"postgres-standby"}`;
 * - fencing (STONITH, a cloud "stop instance" call): `POST /fence/postgres-primary`;
 * - deploying a release where the estate has no deployment tool (local processes): `POST /deploy/app
 *   {"version":"v2"}` (as `kubectl set image` would);
 * - on two sites: the clients' app endpoint (global DNS or the load balancer in front of both sites):
 *   `POST /endpoints/app {"to":"app-dr"}`; fencing a whole site (`POST /fence/site-a`); starting an instance at
 *   the DR site (`POST /start/redis-dr`, as a cloud "start instance" call); lifting a rebuilt site's fence
 *   (`POST /unfence/site-primary`) and starting its instances again (a failback).
 *
 * Servers are addressed by role name, so a block is the same on every backend; the estate's roles translate
 * (on docker the router's targets are container addresses). It listens on 127.0.0.1 at a random port for the
 * duration of one drill, and every request must carry the run's bearer token, which reaches blocks only through
 * the environment (`INFRA_TOKEN`) and is redacted like every other secret. Blocks call it with the `infra`
 * command (`infra-bin/infra`, put first on their PATH), as they would a platform's CLI.
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe } from '../core/errors.ts';
import { endpointTarget } from './shared.ts';
import type { AppRole, Estate, EstateSites, PostgresRole, RouterRole } from './types.ts';

/** What the API acts on: the estate's servers by role name, its router and its app. */
export interface InfraTargets {
  /** Every Postgres server of the estate now (primary, standby, spares a step reserved). */
  servers(): readonly PostgresRole[];
  router: RouterRole;
  app: AppRole;
  /** A two-site estate's sites: the app endpoint, site fencing and starting DR roles. */
  sites?: EstateSites;
}

/** One answer of the API: what was done, in a form a block can print as evidence. */
type Answer = Record<string, string | boolean | number>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 4096;
/** Where the `infra` command lives: the API's command line for runbook blocks. */
export const INFRA_BIN = join(import.meta.dirname, 'infra-bin');
const ROLE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A configured, not yet listening infrastructure API. `start()` returns the one that holds its address. */
export class InfraApi {
  /**
   * The server the database endpoint leads to, as this API last set or saw it: a repoint, on the failover's
   * critical path, then needs one round trip to the router instead of two.
   */
  private dbServer: string | undefined;

  constructor(private readonly targets: InfraTargets) {}

  async start(): Promise<StartedInfraApi> {
    this.dbServer = await this.dbTarget();
    const token = randomBytes(24).toString('base64url');
    const server = http.createServer((req, res) => {
      void this.handle(req, token).then(
        (answer) => reply(res, 200, answer),
        (e: unknown) =>
          reply(res, e instanceof HttpError ? e.status : 500, {
            error: e instanceof Error ? e.message : String(e),
          }),
      );
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new StartedInfraApi(server, `http://127.0.0.1:${port}`, token);
  }

  private async handle(req: http.IncomingMessage, token: string): Promise<Answer> {
    if (!authorized(req.headers.authorization, token))
      throw new HttpError(401, 'missing or wrong bearer token');
    const url = new URL(req.url ?? '/', 'http://infra');
    const body = req.method === 'POST' ? await readJson(req) : {};
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    let m: RegExpExecArray | null;
    if (route === 'GET /endpoints/db') {
      this.dbServer = await this.dbTarget();
      return { endpoint: 'db', to: this.dbServer };
    }
    if (route === 'POST /endpoints/db') return this.repointDb(field(body, 'to'));
    if (route === 'GET /endpoints/app') return { endpoint: 'app', to: await this.appTarget() };
    if (route === 'POST /endpoints/app') return this.repointApp(field(body, 'to'));
    if ((m = /^POST \/fence\/([^/]+)$/.exec(route))) {
      const name = decodeURIComponent(m[1] ?? '');
      return name === this.targets.sites?.primary.name ? this.fenceSite() : this.fence(name);
    }
    if ((m = /^POST \/start\/([^/]+)$/.exec(route))) return this.startRole(decodeURIComponent(m[1] ?? ''));
    if ((m = /^POST \/unfence\/([^/]+)$/.exec(route)))
      return this.unfenceSite(decodeURIComponent(m[1] ?? ''));
    if (route === 'POST /deploy/app') return this.deploy(field(body, 'version'));
    throw new HttpError(404, `no such operation: ${route}`);
  }

  private server(name: string): PostgresRole {
    const s = this.targets.servers().find((r) => r.name === name);
    if (!s) {
      const known = this.targets.servers().map((r) => r.name);
      throw new HttpError(404, `no server '${name}' in this estate (has: ${known.join(', ')})`);
    }
    return s;
  }

  /** The server the database endpoint leads to now, as every part of the estate reads it; else what it says. */
  private async dbTarget(): Promise<string> {
    return endpointTarget(this.targets.router, this.targets.servers()).then(
      (s) => s.name,
      (e: unknown) => describe(e),
    );
  }

  /** Move the endpoint and cut the sessions still open to the old server, as a VIP move does. */
  private async repointDb(to: string): Promise<Answer> {
    const server = this.server(to);
    const from = this.dbServer ?? (await this.dbTarget());
    // The server's own address (a kube node's, else 127.0.0.1), as the estate's routes were made.
    const target = `${server.connection().host}:${server.port}`;
    const state = await this.targets.router.client.repoint('db', target, { reset: true });
    this.dbServer = server.name;
    return { endpoint: 'db', from, to: server.name, target: state.target };
  }

  /** Make sure no process of the server survives (it cannot come back as a second primary). */
  private async fence(name: string): Promise<Answer> {
    const server = this.server(name);
    await server.stop();
    if (server.running()) throw new HttpError(500, `${name} is still running after the stop`);
    return { fenced: name, running: false };
  }

  private sites(): EstateSites {
    const sites = this.targets.sites;
    if (!sites) throw new HttpError(404, 'this estate has one site');
    return sites;
  }

  /** The apps the app endpoint can lead to: the primary site's and the DR site's. */
  private apps(): AppRole[] {
    return [this.targets.app, ...(this.targets.sites ? [this.targets.sites.dr.app] : [])];
  }

  private async appTarget(): Promise<string> {
    const route = (await this.targets.router.client.routes()).find((r) => r.name === 'app');
    const port = Number(route?.target.split(':').at(-1));
    return this.apps().find((a) => a.port === port)?.name ?? route?.target ?? 'nothing';
  }

  /** Move the app endpoint (global DNS, the load balancer) to the app at another site; cut old connections. */
  private async repointApp(to: string): Promise<Answer> {
    this.sites();
    const app = this.apps().find((a) => a.name === to);
    if (!app)
      throw new HttpError(
        404,
        `no app '${to}' (has: ${this.apps()
          .map((a) => a.name)
          .join(', ')})`,
      );
    if (!app.running()) throw new HttpError(409, `${to} is not running: start it first`);
    const from = await this.appTarget();
    const state = await this.targets.router.client.repoint('app', `127.0.0.1:${app.port}`, { reset: true });
    return { endpoint: 'app', from, to: app.name, target: state.target };
  }

  /** Every role of the primary site stopped, none to be restarted (a site that comes back takes no writes). */
  private async fenceSite(): Promise<Answer> {
    const site = this.sites().primary;
    await site.fence();
    const alive = site.roles.filter((r) => r.running()).map((r) => r.name);
    if (alive.length) throw new HttpError(500, `${site.name} still runs ${alive.join(', ')} after the fence`);
    return { fenced: site.name, roles: site.roles.map((r) => r.name).join(','), running: false };
  }

  /** Lift the primary site's fence once it is rebuilt (a failback): its instances may be started again. */
  private unfenceSite(name: string): Answer {
    const site = this.sites().primary;
    if (name !== site.name) throw new HttpError(404, `no site '${name}' to unfence (has: ${site.name})`);
    const was = site.fenced;
    site.unfence();
    return { unfenced: site.name, wasFenced: was };
  }

  /**
   * Start a role of either site, as a platform starts an instance; a running one is left as it is. A role of the
   * primary site is refused while the site is fenced.
   */
  private async startRole(name: string): Promise<Answer> {
    const home = this.sites().primary;
    const own = home.roles.find((r) => r.name === name);
    if (own) {
      const was = own.running();
      try {
        await home.start(name);
      } catch (e) {
        throw new HttpError(409, describe(e));
      }
      return { started: name, site: home.name, alreadyRunning: was };
    }
    const dr = this.sites().dr;
    const was = [dr.postgres, dr.redis, dr.app].find((r) => r?.name === name)?.running() ?? false;
    try {
      await dr.start(name);
    } catch (e) {
      throw new HttpError(404, describe(e));
    }
    return { started: name, site: dr.name, alreadyRunning: was };
  }

  private async deploy(version: string): Promise<Answer> {
    const app = this.targets.app;
    const before = app.version;
    await app.deploy(version);
    return { app: app.name, from: before, to: app.version, ready: true };
  }
}

/** A listening infrastructure API: its URL and token, for the blocks' environment. `stop()` is idempotent. */
export class StartedInfraApi {
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly token: string,
  ) {}

  /** The environment runbook blocks call it with. */
  env(): { INFRA_URL: string; INFRA_TOKEN: string } {
    return { INFRA_URL: this.url, INFRA_TOKEN: this.token };
  }

  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.stopped;
  }
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (\S+)$/.exec(header ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || !ROLE.test(v))
    throw new HttpError(400, `body field '${name}' must be a name (a-z, 0-9, -), got ${JSON.stringify(v)}`);
  return v;
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_BODY) throw new HttpError(413, `body larger than ${MAX_BODY} bytes`);
  }
  if (!text.trim()) return {};
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch (e) {
    throw new HttpError(400, `body is not JSON: ${describe(e)}`);
  }
  throw new HttpError(400, 'body must be a JSON object');
}

function reply(res: http.ServerResponse, status: number, body: Answer): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Start the infrastructure API for a provisioned estate (stopped by the drill's teardown) and return the
 * estate with it in the blocks' environment: the `infra` command on PATH, `INFRA_URL`, `INFRA_TOKEN` (a secret)
 * and the role names blocks address servers by (`PRIMARY_NAME`, `STANDBY_NAME`). Spare servers reserved later
 * are addressable too.
 */
export async function withInfraApi(
  estate: Estate,
  teardown: { push(name: string, undo: () => Promise<void> | void): unknown },
): Promise<Estate> {
  const spares: PostgresRole[] = [];
  const { primary, standby } = estate.postgres;
  const sites = estate.sites;
  const api = await new InfraApi({
    servers: () => [primary, ...(standby ? [standby] : []), ...(sites ? [sites.dr.postgres] : []), ...spares],
    router: estate.router,
    app: estate.app,
    ...(sites ? { sites } : {}),
  }).start();
  teardown.push(`stop the infrastructure API (${api.url})`, () => api.stop());
  return {
    ...estate,
    async spare(name) {
      const role = await estate.spare(name);
      if (!spares.includes(role)) spares.push(role);
      return role;
    },
    shell() {
      const shell = estate.shell();
      const host = shell.host;
      return {
        ...shell,
        // Blocks on the host reach the API; those run where the database lives do not need it.
        host: {
          ...host,
          env: {
            ...host.env,
            // The `infra` command (infra-bin/infra) first on PATH: blocks call the API through it.
            PATH: `${INFRA_BIN}:${host.env.PATH ?? '/usr/bin:/bin'}`,
            ...api.env(),
            PRIMARY_NAME: primary.name,
            ...(standby ? { STANDBY_NAME: standby.name } : {}),
            ...(sites ? sitesNames(sites, estate) : {}),
          },
        },
        secrets: [...shell.secrets, api.token],
      };
    },
  };
}

/** The names blocks address a two-site estate's sites and roles by in the infrastructure API. */
function sitesNames(sites: EstateSites, estate: Estate): Record<string, string> {
  return {
    PRIMARY_SITE: sites.primary.name,
    PRIMARY_APP_NAME: estate.app.name,
    ...(estate.redis ? { PRIMARY_REDIS_NAME: estate.redis.name } : {}),
    DR_SITE: sites.dr.name,
    DR_DB_NAME: sites.dr.postgres.name,
    DR_APP_NAME: sites.dr.app.name,
    ...(sites.dr.redis ? { DR_REDIS_NAME: sites.dr.redis.name } : {}),
  };
}
