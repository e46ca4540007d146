import type { RedisRole } from '../types.ts';
import { redisCommand } from '../shared.ts';
import { DockerService, type ContainerSpec } from './container.ts';

export const REDIS_PORT = 6379;
const REDIS_DIR = '/var/lib/drill-redis';

/**
 * Redis with the persistence the runbook configures (AOF fsynced every second plus RDB snapshots), its files
 * in the container's own filesystem, so `docker start` after a kill recovers what was persisted. The
 * directory is made by a shell that then execs redis-server: redis-server is PID 1 (what a kill hits), and
 * the same command works on the official redis image and on the offline-built one.
 */
export class DockerRedis extends DockerService implements RedisRole {
  constructor(base: Omit<ContainerSpec, 'ready' | 'entrypoint' | 'cmd' | 'user'>) {
    super({
      ...base,
      user: 'root',
      entrypoint: ['sh', '-c', `mkdir -p ${REDIS_DIR} && exec "$@"`, 'redis'],
      cmd: [
        'redis-server',
        '--port',
        String(REDIS_PORT),
        '--bind',
        '0.0.0.0',
        // Reachable only on the estate network and through 127.0.0.1 on the host.
        '--protected-mode',
        'no',
        '--dir',
        REDIS_DIR,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '60 1',
      ],
    });
  }

  get port(): number {
    return this.spec.ports[0]?.host ?? 0;
  }
  url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  get internalUrl(): string {
    return `redis://${this.spec.alias}:${REDIS_PORT}`;
  }

  protected override async isReady(): Promise<boolean> {
    return (await redisCommand(this.port, 'PING')) === 'PONG';
  }

  async version(): Promise<string | undefined> {
    const info = String(await redisCommand(this.port, 'INFO', 'server'));
    return /redis_version:(\S+)/.exec(info)?.[1];
  }
}
