import { describe, expect, it } from 'vitest';
import type { Estate, PostgresRole, PrimarySite, ProcessRole, ShellSite } from './types.ts';
import { drDatabaseRestored, drServes, standbyPromoted } from './view.ts';

const role = (name: string, port: number, running = true) =>
  ({ name, port, dataDir: `/data/${name}`, running: () => running }) as unknown as PostgresRole & {
    dataDir: string;
  };

const site = (env: Record<string, string>): ShellSite => ({
  env,
  launch: () => ({ command: 'bash', args: [], env: {} }),
});

/** A two-site estate as far as the views read it: roles, sites, the blocks' environment at each site. */
function estate(): Estate {
  const primary = role('postgres-primary', 5001);
  const standby = role('postgres-standby', 5002);
  const dr = role('postgres-dr', 5003);
  const restored = role('postgres-restored', 5004);
  let fenced = false;
  const roles: ProcessRole[] = [primary, standby];
  const primarySite = {
    name: 'site-primary',
    roles,
    kill: () => Promise.resolve(),
    fence: () => ((fenced = true), Promise.resolve()),
    get fenced() {
      return fenced;
    },
    unfence: () => void (fenced = false),
    start: () => Promise.resolve(),
  } satisfies PrimarySite;
  const env = {
    PRIMARY_HOST: 'h',
    PRIMARY_PORT: '5001',
    STANDBY_HOST: 'h',
    STANDBY_PORT: '5002',
    DR_DB_HOST: 'h',
    DR_DB_PORT: '5003',
    DR_DATA: '/data/postgres-dr',
  };
  return {
    postgres: { primary, standby },
    sites: { primary: primarySite, dr: { name: 'site-dr', postgres: dr } },
    spare: (name: string) =>
      name === restored.name ? Promise.resolve(restored) : Promise.reject(new Error(name)),
    shell: () => ({
      host: site({ ...env, PRIMARY_NAME: 'postgres-primary', DR_DB_NAME: 'postgres-dr' }),
      // As the database's blocks see the servers (docker: other names).
      database: site({ ...env, STANDBY_HOST: 'standby.db', DR_DB_HOST: 'dr.db' }),
      secrets: [],
    }),
  } as unknown as Estate;
}

describe('views of an estate after its roles moved', () => {
  it('standbyPromoted: the standby is the primary, at each site as that site reaches it', () => {
    const e = estate();
    const v = standbyPromoted(e);
    expect(v.postgres).toEqual({ primary: e.postgres.standby });
    const shell = v.shell();
    expect(shell.host.env).toMatchObject({
      PRIMARY_HOST: 'h',
      PRIMARY_PORT: '5002',
      PRIMARY_NAME: 'postgres-standby',
    });
    expect(shell.database.env).toMatchObject({ PRIMARY_HOST: 'standby.db', PRIMARY_PORT: '5002' });
    // The fenced old primary is no longer one of the site's running roles; the site is still the site.
    expect(v.sites?.primary.roles.map((r) => r.name)).toEqual(['postgres-standby']);
    void v.sites?.primary.fence();
    expect(e.sites?.primary.fenced).toBe(true);
    expect(v.sites?.primary.fenced).toBe(true);
  });

  it('drServes: the DR database is the primary', () => {
    const v = drServes(estate());
    expect(v.postgres.primary.name).toBe('postgres-dr');
    expect(v.shell().host.env).toMatchObject({ PRIMARY_PORT: '5003', PRIMARY_NAME: 'postgres-dr' });
    expect(v.shell().database.env).toMatchObject({ PRIMARY_HOST: 'dr.db' });
  });

  it('drDatabaseRestored: the restored spare is the DR database; refused when it does not run', async () => {
    const v = await drDatabaseRestored(estate(), 'postgres-restored');
    expect(v.sites?.dr.postgres.name).toBe('postgres-restored');
    expect(v.shell().host.env).toMatchObject({
      DR_DB_HOST: '127.0.0.1',
      DR_DB_PORT: '5004',
      DR_DATA: '/data/postgres-restored',
      DR_DB_NAME: 'postgres-restored',
    });
    expect(v.shell().database.env).toMatchObject({ DR_DB_PORT: '5004' });
    const e = estate();
    const stopped = { ...e, spare: () => Promise.resolve(role('postgres-restored', 5004, false)) };
    await expect(drDatabaseRestored(stopped as Estate, 'postgres-restored')).rejects.toThrow(
      /postgres-restored is not running: nothing was restored at site-dr/,
    );
  });
});
