/** The local backend's roles made of its processes, shared by the one-site and the two-site estate. */
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EstateError } from '../../core/errors.ts';
import type { PgUser } from '../host/binaries.ts';
import { PROJECT_ROOT } from '../host/project-root.ts';
import type { RouterClient } from '../router/client.ts';
import type { AppRole, ProcessRole, RouterRole } from '../types.ts';
import type { NodeService } from './node-service.ts';

export function processRole(name: string, service: NodeService): ProcessRole {
  return {
    name,
    get pid() {
      return service.proc.pid;
    },
    running: () => service.proc.running(),
    signal: (sig) => service.proc.signal(sig),
    stop: () => service.stop(),
    restart: () => service.start(),
  };
}

export function appRole(service: NodeService, port: number, initial: string, name = 'app'): AppRole {
  let version = initial;
  return Object.assign(processRole(name, service), {
    port,
    get version() {
      return version;
    },
    async deploy(next: string) {
      await service.redeploy(releaseEnv(next));
      version = next;
    },
  });
}

/** A release of the demo app, as fixtures/app/releases.json describes it: its version and behaviour. */
export function releaseEnv(version: string): Record<string, string> {
  const releases = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'fixtures', 'app', 'releases.json'), 'utf8'),
  ) as Record<string, { failMode?: string }>;
  const release = releases[version];
  if (!release)
    throw new EstateError(
      `no release ${version} in fixtures/app/releases.json (has ${Object.keys(releases).join(', ')})`,
    );
  return { APP_VERSION: version, APP_FAIL_MODE: release.failMode ?? 'none' };
}

export function routerRole(
  service: NodeService,
  client: RouterClient,
  ports: { app: number; db: number },
): RouterRole {
  return Object.assign(processRole('router', service), {
    client,
    listenPort: (route: 'app' | 'db') => ports[route],
  });
}

/** A directory the database's OS account owns (it writes archives and backups there). */
export function ownedDir(dir: string, user: PgUser | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dir, user.uid, user.gid);
}
