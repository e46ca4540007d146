import { describe, expect, it } from 'vitest';
import { overrideFile, overrideService, runProject, serviceFor } from './compose.ts';
import type { ContainerSpec } from './container.ts';
import { systemDockerfile } from './system-image.ts';

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  role: 'app',
  name: 'drillbook-r1-q1-app',
  image: 'inv:v1',
  network: 'drillbook-r1-q1',
  alias: 'app',
  labels: { 'drillbook.run-id': 'r1' },
  ports: [{ container: 8000, host: 41000 }],
  startTimeoutMs: 1000,
  ...over,
});

describe('the compose override', () => {
  it("maps drillbook's roles onto the user's services and names its own", () => {
    const mapped = { database: 'db', app: 'inventory' };
    expect(serviceFor('postgres-primary', mapped)).toBe('db');
    expect(serviceFor('app', mapped)).toBe('inventory');
    expect(serviceFor('redis', mapped)).toBe('drill-redis');
    expect(serviceFor('redis', { ...mapped, cache: 'cache' })).toBe('cache');
    expect(serviceFor('postgres-standby', mapped)).toBe('drill-postgres-standby');
    expect(serviceFor('router', mapped)).toBe('drill-router');
  });

  it('gives a service its container, ports on 127.0.0.1, no restart, escaped $, mounts and alias', () => {
    const svc = overrideService(
      spec({
        entrypoint: ['bash', '-c', 'exec postgres -D "$D"'],
        env: { PW: 'a$b' },
        binds: [{ source: '/run/wal', target: '/wal' }],
        files: [{ source: '/run/router.mjs', target: '/drill/router.mjs' }],
      }),
    );
    expect(svc).toMatchObject({
      image: 'inv:v1',
      container_name: 'drillbook-r1-q1-app',
      restart: 'no',
      ports: ['127.0.0.1:41000:8000'],
      entrypoint: ['bash', '-c', 'exec postgres -D "$$D"'],
      environment: { PW: 'a$$b' },
      volumes: ['/run/wal:/wal:rw', '/run/router.mjs:/drill/router.mjs:ro'],
      networks: { default: { aliases: ['app'] } },
    });
    const file = overrideFile(new Map([['inventory', spec()]]), 'drillbook-r1-q1');
    expect(file.networks).toEqual({ default: { name: 'drillbook-r1-q1', external: true } });
  });

  it("keeps only the estate's services, with the override's ports and networks (compose appends port lists)", () => {
    const override = overrideFile(new Map([['inventory', spec()]]), 'net');
    const merged = {
      version: '3.9',
      services: {
        inventory: {
          image: 'inv:v1',
          command: ['python3', 'app.py'],
          depends_on: { db: { condition: 'service_started' } },
          ports: ['127.0.0.1:8000:8000/tcp', '127.0.0.1:41000:8000/tcp'],
          volumes: ['/src/conf:/conf:ro'],
          networks: { default: { aliases: ['app'] }, backend: null },
        },
        worker: { image: 'w' },
      },
    };
    const project = runProject(merged, override);
    expect(Object.keys(project.services as object)).toEqual(['inventory']);
    expect((project.services as Record<string, unknown>).inventory).toEqual({
      image: 'inv:v1',
      command: ['python3', 'app.py'],
      ports: ['127.0.0.1:41000:8000'],
      volumes: ['/src/conf:/conf:ro'],
      networks: { default: { aliases: ['app'] } },
    });
    expect(project.networks).toEqual({ default: { name: 'net', external: true } });
  });
});

describe("a system's release image", () => {
  it('installs the packages on the base, copies the files, bakes the release in', () => {
    const text = systemDockerfile(
      'drillbook/debian:bookworm',
      {
        packages: ['python3-psycopg2'],
        copy: ['/x/app.py'],
        workdir: '/app',
        command: ['python3', 'app.py'],
      },
      'v2',
      { RELEASE: 'v2', FAULTY: '1' },
      'abc',
    );
    expect(text).toContain('FROM drillbook/debian:bookworm\n');
    expect(text).toContain('apt-get install -y -qq --no-install-recommends python3-psycopg2');
    expect(text).toContain('COPY files/ /app/\nWORKDIR /app\n');
    expect(text).toContain('ENV RELEASE="v2" FAULTY="1"\n');
    expect(text).toContain('LABEL drillbook.system-source=abc drillbook.release=v2');
    expect(text).toContain('CMD ["python3","app.py"]');
  });
});
