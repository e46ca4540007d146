import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.ts';
import { AddressBook } from './app.ts';
import { appDockerfile, debianMirror } from './build.ts';
import { demux, localEngine } from './container.ts';
import { runFilter } from './engine.ts';
import { inContainer } from './exec-site.ts';
import { BUILT_IMAGES, parseImageConfig, PUBLIC_IMAGES, resolveImages } from './images.ts';
import { confLines } from '../postgres-config.ts';
import { PG_ENTRYPOINT } from './postgres.ts';

describe('image resolution', () => {
  const none = () => false;
  const all = () => true;

  it('uses public images when nothing is configured or built', () => {
    const r = resolveImages({}, {}, none);
    expect(r.images).toEqual({ ...PUBLIC_IMAGES, app: 'drillbook/app' });
    expect(r.sources.postgres).toBe('public');
  });

  it('prefers the offline-built images when they are on the engine', () => {
    const r = resolveImages({}, {}, all);
    expect(r.images.postgres).toBe(BUILT_IMAGES.postgres);
    expect(r.sources.redis).toBe('built');
  });

  it('takes the config file over built images, and the environment over both', () => {
    const r = resolveImages(
      { DRILL_IMAGE_REDIS: 'registry.example/redis:7.2' },
      { postgres: 'my/pg:15', redis: 'cfg/redis:7' },
      all,
    );
    expect(r.images.postgres).toBe('my/pg:15');
    expect(r.sources.postgres).toBe('config');
    expect(r.images.redis).toBe('registry.example/redis:7.2');
    expect(r.sources.redis).toBe('env');
    expect(r.images.node).toBe(BUILT_IMAGES.node);
  });

  it('validates drillbook.config.json, naming the field', () => {
    expect(parseImageConfig({ docker: { images: { postgres: 'postgres:16' } } })).toEqual({
      postgres: 'postgres:16',
    });
    expect(parseImageConfig({})).toEqual({});
    expect(() => parseImageConfig({ docker: { images: { mysql: 'mysql:8' } } })).toThrow(
      /docker\.images: unknown field 'mysql'/,
    );
    expect(() => parseImageConfig({ docker: { images: { redis: 'Has Spaces' } } })).toThrow(UsageError);
    expect(() => parseImageConfig({ docker: { images: { app: 'drillbook/app:v1' } } })).toThrow(
      /docker\.images\.app: expected a repository without a tag \(releases are its tags\)/,
    );
  });
});

describe('offline image build', () => {
  it('finds the Debian mirror apt uses, in deb822 and one-line formats, skipping security', () => {
    const deb822 = `Types: deb\nURIs: http://security.mirror.example/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n`;
    expect(debianMirror([{ name: '/etc/apt/sources.list.d/debian.sources', text: deb822 }])).toBe(
      'http://mirror.example/debian',
    );
    const list =
      '# comment\ndeb http://security.mirror.example/debian-security bookworm-security main\ndeb [arch=amd64] http://ftp.example.org/debian bookworm main\n';
    expect(debianMirror([{ name: '/etc/apt/sources.list', text: list }])).toBe(
      'http://ftp.example.org/debian',
    );
    expect(debianMirror([{ name: '/etc/apt/sources.list.d/x.list.disabled', text: list }])).toBeUndefined();
  });

  it('bakes the release and its misbehaviour into the app image, on the node image', () => {
    const df = appDockerfile('drillbook/node:20', 'v2', 'errors', 'abc123');
    expect(df).toMatch(/^FROM drillbook\/node:20$/m);
    expect(df).toMatch(/APP_VERSION=v2 APP_FAIL_MODE=errors/);
    expect(df).toMatch(/drillbook\.app-source=abc123 drillbook\.release=v2/);
    expect(df).toMatch(/^USER nobody$/m);
  });
});

describe('docker estate helpers', () => {
  it('translates between host addresses and estate-network addresses for the router', () => {
    const book = new AddressBook();
    book.add(41000, 'postgres-primary:5432');
    book.add(41001, 'postgres-standby:5432');
    expect(book.internal('127.0.0.1:41001')).toBe('postgres-standby:5432');
    expect(book.internal('localhost:41000')).toBe('postgres-primary:5432');
    expect(book.host('postgres-standby:5432')).toBe('127.0.0.1:41001');
    expect(book.hostPort('postgres-primary:5432')).toBe(41000);
    expect(() => book.internal('127.0.0.1:9')).toThrow(/no server of this docker estate/);
  });

  it('filters by run id, and by drill', () => {
    expect(runFilter('20261127T161002Z-3f9a1c')).toEqual({
      label: ['drillbook.run-id=20261127T161002Z-3f9a1c'],
    });
    expect(runFilter(undefined)).toEqual({ label: ['drillbook.run-id'] });
    expect(runFilter('r', 'q1')).toEqual({ label: ['drillbook.run-id=r', 'drillbook.drill=q1'] });
  });

  it('reads docker log frames', () => {
    const frame = (s: string) =>
      Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, s.length]), Buffer.from(s)]);
    expect(demux(Buffer.concat([frame('a\n'), frame('b\n')]))).toBe('a\nb\n');
    expect(demux(Buffer.from('plain'))).toBe('plain');
  });

  it('knows when container pids are host pids', () => {
    expect(localEngine({ DOCKER_HOST: 'tcp://10.0.0.1:2375' })).toBe(false);
    if (process.platform === 'linux') expect(localEngine({})).toBe(true);
  });

  it('writes Postgres settings quoted, and starts the postmaster as PID 1', () => {
    expect(confLines({ shared_buffers: '32MB', max_connections: 60, x: "it's" })).toBe(
      "shared_buffers = '32MB'\nmax_connections = 60\nx = 'it''s'",
    );
    expect(PG_ENTRYPOINT).toMatch(/^exec postgres -D "\$D"$/m);
  });
});

describe('inContainer', () => {
  it('runs bash through docker exec, passing values by name so no secret is on the command line', () => {
    const c = inContainer({ container: 'pg-1', user: 'postgres', cwd: '/backups' }, ['-c', 'true'], {
      PATH: '/usr/lib/postgresql/15/bin:/usr/bin:/bin',
      PGPASSWORD: 's3cret',
    });
    expect(c.command).toBe('docker');
    expect(c.args).toEqual([
      'exec',
      '-u',
      'postgres',
      '-w',
      '/backups',
      '-e',
      'PATH=/usr/lib/postgresql/15/bin:/usr/bin:/bin',
      '-e',
      'PGPASSWORD',
      'pg-1',
      'bash',
      '-c',
      'true',
    ]);
    expect(c.args.join(' ')).not.toContain('s3cret');
    // The docker CLI itself runs with the host's PATH and hands the values on from its environment.
    expect(c.env.PGPASSWORD).toBe('s3cret');
    expect(c.env.PATH).toBe(process.env.PATH);
  });
});
