import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { primarySite } from './host/sites.ts';
import { INFRA_BIN, InfraApi, type StartedInfraApi } from './infra-api.ts';
import type { RouterClient } from './router/client.ts';
import type { AppRole, DrSite, PostgresRole, ProcessRole, RouterRole } from './types.ts';

/** A role of the fake two-site estate: a name, a port, and whether it runs. */
function role(name: string, port: number, up = true): ProcessRole & { port: number } {
  let running = up;
  return {
    name,
    port,
    pid: undefined,
    running: () => running,
    signal: () => undefined,
    stop: () => ((running = false), Promise.resolve()),
    restart: () => ((running = true), Promise.resolve()),
  };
}

function fakeSites() {
  const primaryDb = role('postgres-primary', 5001) as unknown as PostgresRole;
  const drDb = role('postgres-dr', 5002) as unknown as PostgresRole;
  const app = role('app', 3001) as unknown as AppRole;
  const drApp = role('app-dr', 3002, false) as unknown as AppRole;
  const redis = role('redis', 6001);
  const drRedis = role('redis-dr', 6002, false);
  const routes = new Map([
    ['db', '127.0.0.1:5001'],
    ['app', '127.0.0.1:3001'],
  ]);
  const client = {
    routes: () => Promise.resolve([...routes].map(([name, target]) => ({ name, target }))),
    repoint: (name: string, to: string) => (routes.set(name, to), Promise.resolve({ name, target: to })),
  } as unknown as RouterClient;
  const dr = {
    name: 'site-dr',
    postgres: drDb,
    redis: drRedis,
    app: drApp,
    async start(name: string) {
      const r = [drDb, drRedis, drApp].find((x) => x.name === name);
      if (!r) throw new Error(`no role '${name}' at site-dr`);
      if (!r.running()) await r.restart();
    },
  } as unknown as DrSite;
  const primary = primarySite('site-primary', [
    { role: primaryDb, kill: () => primaryDb.stop() },
    { role: redis, kill: () => redis.stop() },
    { role: app, kill: () => app.stop() },
  ]);
  const targets = {
    servers: () => [primaryDb, drDb],
    router: { client } as RouterRole,
    app,
    sites: { primary, dr },
  };
  return { targets, routes, primary, drApp, drRedis };
}

const started: StartedInfraApi[] = [];
afterEach(async () => {
  for (const api of started.splice(0)) await api.stop();
});

async function infra(api: StartedInfraApi, ...args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(join(INFRA_BIN, 'infra'), args, {
      env: { PATH: process.env.PATH, INFRA_URL: api.url, INFRA_TOKEN: api.token },
    });
    return { code: 0, out: stdout.trim() };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, out: err.stderr.trim() };
  }
}

describe('the infrastructure API on two sites', () => {
  it('fences a whole site, starts DR instances and moves the app endpoint to a running app only', async () => {
    const f = fakeSites();
    const api = await new InfraApi(f.targets).start();
    started.push(api);

    expect(JSON.parse((await infra(api, 'endpoint', 'app')).out)).toEqual({ endpoint: 'app', to: 'app' });
    // Traffic cannot go to an app that does not run.
    const early = await infra(api, 'endpoint', 'app', 'app-dr');
    expect(early.code).toBe(1);
    expect(early.out).toMatch(/HTTP 409: .*app-dr is not running: start it first/);

    const fenced = JSON.parse((await infra(api, 'fence', 'site-primary')).out) as Record<string, unknown>;
    expect(fenced).toEqual({ fenced: 'site-primary', roles: 'postgres-primary,redis,app', running: false });
    expect(f.primary.fenced).toBe(true);
    expect(f.primary.roles.filter((r) => r.running())).toEqual([]);

    expect(JSON.parse((await infra(api, 'start', 'redis-dr')).out)).toEqual({
      started: 'redis-dr',
      site: 'site-dr',
      alreadyRunning: false,
    });
    expect(f.drRedis.running()).toBe(true);
    await infra(api, 'start', 'app-dr');
    expect(JSON.parse((await infra(api, 'start', 'app-dr')).out)).toMatchObject({ alreadyRunning: true });
    const missing = await infra(api, 'start', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/HTTP 404: .*no role 'nope' at site-dr/);

    const moved = JSON.parse((await infra(api, 'endpoint', 'app', 'app-dr')).out) as Record<string, unknown>;
    expect(moved).toEqual({ endpoint: 'app', from: 'app', to: 'app-dr', target: '127.0.0.1:3002' });
    expect(f.routes.get('app')).toBe('127.0.0.1:3002');
  });

  it('starts a fenced site again only once its fence is lifted (a failback)', async () => {
    const f = fakeSites();
    const api = await new InfraApi(f.targets).start();
    started.push(api);
    await infra(api, 'fence', 'site-primary');
    const refused = await infra(api, 'start', 'postgres-primary');
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/HTTP 409: .*site-primary is fenced: rebuild it, then lift the fence/);
    expect(f.primary.roles.filter((r) => r.running())).toEqual([]);

    expect(JSON.parse((await infra(api, 'unfence', 'site-primary')).out)).toEqual({
      unfenced: 'site-primary',
      wasFenced: true,
    });
    expect(f.primary.fenced).toBe(false);
    expect(JSON.parse((await infra(api, 'start', 'postgres-primary')).out)).toEqual({
      started: 'postgres-primary',
      site: 'site-primary',
      alreadyRunning: false,
    });
    expect(f.primary.roles.filter((r) => r.running()).map((r) => r.name)).toEqual(['postgres-primary']);
    const other = await infra(api, 'unfence', 'site-dr');
    expect(other.code).toBe(1);
    expect(other.out).toMatch(/HTTP 404: .*no site 'site-dr' to unfence/);
  });

  it('refuses site operations on an estate of one site', async () => {
    const f = fakeSites();
    const { sites: _, ...oneSite } = f.targets;
    const api = await new InfraApi(oneSite).start();
    started.push(api);
    const res = await infra(api, 'start', 'redis-dr');
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/HTTP 404: .*this estate has one site/);
  });
});
