import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouterClient } from './router/client.ts';
import { INFRA_BIN, InfraApi, type InfraTargets, type StartedInfraApi } from './infra-api.ts';
import type { AppRole, PostgresRole, RouterRole } from './types.ts';

/** A server of the fake estate: a name, a port, and whether a process of it runs. */
function server(name: string, port: number): PostgresRole & { stops: number } {
  let up = true;
  return {
    name,
    port,
    stops: 0,
    dataDir: `/data/${name}`,
    pid: up ? 100 + port : undefined,
    running: () => up,
    signal: () => undefined,
    async stop() {
      this.stops++;
      up = false;
      return Promise.resolve();
    },
    restart: () => Promise.resolve(),
    connection: () => ({ host: '127.0.0.1', port, user: 'u', password: 'p', database: 'd' }),
    query: () => Promise.resolve([]),
    isInRecovery: () => Promise.resolve(false),
  } as PostgresRole & { stops: number };
}

function fakeEstate() {
  const primary = server('postgres-primary', 5001);
  const standby = server('postgres-standby', 5002);
  let target = '127.0.0.1:5001';
  const repoints: { target: string; reset?: boolean }[] = [];
  const client = {
    routes: () => Promise.resolve([{ name: 'db', target }]),
    repoint: (_name: string, to: string, opts: { reset?: boolean } = {}) => {
      repoints.push({ target: to, ...opts });
      target = to;
      return Promise.resolve({ name: 'db', target });
    },
  } as unknown as RouterClient;
  const deployed: string[] = [];
  const app = {
    name: 'app',
    version: 'v1',
    deploy(v: string) {
      deployed.push(v);
      (this as { version: string }).version = v;
      return Promise.resolve();
    },
  } as unknown as AppRole;
  const targets: InfraTargets = {
    servers: () => [primary, standby],
    router: { client } as RouterRole,
    app,
  };
  return { primary, standby, repoints, deployed, targets };
}

const started: StartedInfraApi[] = [];
afterEach(async () => {
  for (const api of started.splice(0)) await api.stop();
});

async function start(targets: InfraTargets): Promise<StartedInfraApi> {
  const api = await new InfraApi(targets).start();
  started.push(api);
  return api;
}

function call(api: StartedInfraApi, method: string, path: string, body?: unknown, token = api.token) {
  return fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

describe('the infrastructure API', () => {
  it('listens on 127.0.0.1 and refuses a request without the run token', async () => {
    const api = await start(fakeEstate().targets);
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.env()).toEqual({ INFRA_URL: api.url, INFRA_TOKEN: api.token });
    expect((await call(api, 'GET', '/endpoints/db', undefined, 'wrong')).status).toBe(401);
    expect((await fetch(`${api.url}/endpoints/db`)).status).toBe(401);
  });

  it('moves the database endpoint by role name, cutting old sessions, and says from where to where', async () => {
    const e = fakeEstate();
    const api = await start(e.targets);
    const res = await call(api, 'POST', '/endpoints/db', { to: 'postgres-standby' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      endpoint: 'db',
      from: 'postgres-primary',
      to: 'postgres-standby',
      target: '127.0.0.1:5002',
    });
    expect(e.repoints).toEqual([{ target: '127.0.0.1:5002', reset: true }]);
    expect(await (await call(api, 'GET', '/endpoints/db')).json()).toEqual({
      endpoint: 'db',
      to: 'postgres-standby',
    });
  });

  it('fences a server: no process of it is left', async () => {
    const e = fakeEstate();
    const api = await start(e.targets);
    const res = await call(api, 'POST', '/fence/postgres-primary');
    expect(await res.json()).toEqual({ fenced: 'postgres-primary', running: false });
    expect(e.primary.stops).toBe(1);
    expect(e.primary.running()).toBe(false);
  });

  it('deploys a release of the app', async () => {
    const e = fakeEstate();
    const api = await start(e.targets);
    const res = await call(api, 'POST', '/deploy/app', { version: 'v2' });
    expect(await res.json()).toEqual({ app: 'app', from: 'v1', to: 'v2', ready: true });
    expect(e.deployed).toEqual(['v2']);
  });

  it('answers an unknown server, a bad body or an unknown operation with an error naming it', async () => {
    const api = await start(fakeEstate().targets);
    const unknown = await call(api, 'POST', '/endpoints/db', { to: 'postgres-elsewhere' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(
      /no server 'postgres-elsewhere' in this estate \(has: postgres-primary, postgres-standby\)/,
    );
    const bad = await call(api, 'POST', '/endpoints/db', { to: '$(reboot)' });
    expect(bad.status).toBe(400);
    const notJson = await fetch(`${api.url}/endpoints/db`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}` },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect((await call(api, 'DELETE', '/endpoints/db')).status).toBe(404);
  });

  it('has a command line blocks call (`infra`): the token from the environment, never an argument', async () => {
    const e = fakeEstate();
    const api = await start(e.targets);
    const infra = (args: string[], env: Record<string, string> = api.env()) =>
      promisify(execFile)(join(INFRA_BIN, 'infra'), args, { env: { PATH: process.env.PATH, ...env } }).then(
        (r) => ({ code: 0, ...r }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
    expect((await infra(['endpoint', 'db', 'postgres-standby'])).stdout).toBe(
      '{"endpoint":"db","from":"postgres-primary","to":"postgres-standby","target":"127.0.0.1:5002"}\n',
    );
    expect((await infra(['endpoint', 'db'])).stdout).toBe('{"endpoint":"db","to":"postgres-standby"}\n');
    expect((await infra(['fence', 'postgres-primary'])).stdout).toContain('"running":false');
    expect((await infra(['deploy', 'app', 'v2'])).stdout).toContain('"to":"v2"');
    expect(e.deployed).toEqual(['v2']);

    const unknown = await infra(['fence', 'postgres-elsewhere']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^infra: POST \/fence\/postgres-elsewhere: HTTP 404: .*no server/);
    const wrongToken = await infra(['endpoint', 'db'], { ...api.env(), INFRA_TOKEN: 'guess' });
    expect([wrongToken.code, wrongToken.stderr]).toEqual([1, expect.stringMatching(/HTTP 401/) as unknown]);
    expect((await infra(['endpoint', 'db', '"; reboot'])).code).toBe(2);
    expect((await infra(['reboot'])).code).toBe(2);
    await api.stop();
    await api.stop(); // idempotent
  });
});
