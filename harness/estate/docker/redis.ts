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
  /**
   * `opts`: the RDB snapshot rule (default '60 1'); the append-only file off (a restore from a snapshot: with
   * it on and no AOF yet Redis ignores the snapshot); a host directory bind-mounted as its data directory (two
   * sites: snapshots shipped from it, or restored into it).
   */
  constructor(
    base: Omit<ContainerSpec, 'ready' | 'entrypoint' | 'cmd' | 'user'>,
    opts: {
      save?: string;
      appendonly?: boolean;
      dataDir?: string;
      /** The address it gives a master it replicates from (`replica-announce-ip/-port`): its link from there. */
      announce?: { host: string; port: number };
    } = {},
  ) {
    super({
      ...base,
      ...(opts.dataDir
        ? { binds: [...(base.binds ?? []), { source: opts.dataDir, target: REDIS_DIR }] }
        : {}),
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
        opts.appendonly === false ? 'no' : 'yes',
        '--appendfsync',
        'everysec',
        '--save',
        opts.save ?? '60 1',
        ...(opts.announce
          ? [
              '--replica-announce-ip',
              opts.announce.host,
              '--replica-announce-port',
              String(opts.announce.port),
            ]
          : []),
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
