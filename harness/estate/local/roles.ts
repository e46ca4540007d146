/** The local backend's roles made of its processes, shared by the one-site and the two-site estate. */
import { chownSync, mkdirSync } from 'node:fs';
import type { PgUser } from '../host/binaries.ts';
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

/** The system under test's app; a deploy restarts it with the environment of the next release (`envOf`). */
export function appRole(
  service: NodeService,
  port: number,
  initial: string,
  envOf: (version: string) => Record<string, string>,
  name = 'app',
): AppRole {
  let version = initial;
  return Object.assign(processRole(name, service), {
    port,
    get version() {
      return version;
    },
    async deploy(next: string) {
      await service.redeploy(envOf(next));
      version = next;
    },
  });
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
