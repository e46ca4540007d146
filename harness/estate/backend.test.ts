import { describe, expect, it } from 'vitest';
import { blocking, type Prerequisite } from './backend.ts';
import { BACKENDS, backendNamed } from './registry.ts';
import { shellEnv } from './shell-env.ts';

describe('the backend registry', () => {
  it('names each backend once and finds it by name', () => {
    const names = BACKENDS.map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(backendNamed(n).name).toBe(n);
    expect(() => backendNamed('nope')).toThrow(/no backend 'nope' \(backends: /);
  });
});

describe('prerequisites', () => {
  it('a missing prerequisite blocks only the drills that need what it serves', () => {
    const found: Prerequisite[] = [
      { what: 'server binaries', ok: true, detail: '/usr/bin' },
      { what: 'redis-server', ok: false, detail: 'not found', onlyFor: 'redis' },
    ];
    expect(blocking(found, ['standby'])).toEqual([]);
    expect(blocking(found, ['redis']).map((p) => p.what)).toEqual(['redis-server']);
  });
});

describe('the runbook shell environment', () => {
  it('has the runbook’s variables, the same keys for every site', () => {
    const env = shellEnv({
      path: '/pg/bin:/usr/bin',
      home: '/b',
      endpoint: { host: 'router', port: 6432 },
      primary: { host: 'postgres-primary', port: 5432 },
      redis: { host: 'redis', port: 6379 },
      appUrl: 'http://router:8080',
      backupDir: '/b',
      archiveDir: '/w',
      credentials: { user: 'drill', database: 'app', password: 'pw' },
    });
    expect(env).toMatchObject({
      PATH: '/pg/bin:/usr/bin',
      HOME: '/b',
      LANG: 'C',
      DB_HOST: 'router',
      DB_PORT: '6432',
      DB_USER: 'drill',
      DB_NAME: 'app',
      PGPASSWORD: 'pw',
      PGCONNECT_TIMEOUT: '3',
      BACKUP_DIR: '/b',
      WAL_ARCHIVE: '/w',
      APP_URL: 'http://router:8080',
      PRIMARY_HOST: 'postgres-primary',
      PRIMARY_PORT: '5432',
      REDIS_HOST: 'redis',
      REDIS_PORT: '6379',
    });
  });
});
