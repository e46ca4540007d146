import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redisCommand } from '../shared.ts';
import type { RedisRole } from '../types.ts';
import { LocalProcess } from './process.ts';

export interface RedisSpec {
  binary: string;
  runDir: string;
  runId: string;
  drillId?: string;
  port: number;
  startTimeoutMs: number;
  /** Role name (default 'redis'); its log is `<runDir>/<name>.log`. */
  name?: string;
  /** Data directory (default `<runDir>/redis`). */
  dir?: string;
  /** RDB snapshot rule, `redis.conf` `save` (default '60 1'). */
  save?: string;
  /**
   * Start with the append-only file (default true). Off, Redis loads an RDB snapshot found in its directory
   * (with it on and no AOF yet, Redis starts empty and ignores the snapshot): a restore from a shipped snapshot.
   */
  appendonly?: boolean;
}

/**
 * redis-server on 127.0.0.1 with the persistence the runbook configures (AOF every second plus RDB snapshots),
 * its files in the run directory so a restart after a kill recovers what was persisted.
 */
export class LocalRedis implements RedisRole {
  readonly name: string;
  readonly dir: string;
  private readonly proc: LocalProcess;

  constructor(private readonly spec: RedisSpec) {
    this.name = spec.name ?? 'redis';
    const dir = spec.dir ?? join(spec.runDir, 'redis');
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.proc = new LocalProcess({
      name: this.name,
      file: spec.binary,
      args: [
        '--port',
        String(spec.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--appendonly',
        spec.appendonly === false ? 'no' : 'yes',
        '--appendfsync',
        'everysec',
        '--save',
        spec.save ?? '60 1',
        '--protected-mode',
        'yes',
      ],
      env: { PATH: process.env.PATH },
      logFile: join(spec.runDir, `${this.name}.log`),
      runId: spec.runId,
      ...(spec.drillId ? { drillId: spec.drillId } : {}),
    });
  }

  get port(): number {
    return this.spec.port;
  }
  get pid(): number | undefined {
    return this.proc.pid;
  }
  get pids(): number[] {
    return this.proc.pids;
  }
  url(): string {
    return `redis://127.0.0.1:${this.spec.port}`;
  }

  async start(): Promise<void> {
    await this.proc.startUntil(
      async () => (await this.command('PING')) === 'PONG',
      `${this.name} to answer on 127.0.0.1:${this.port}`,
      this.spec.startTimeoutMs,
    );
  }

  restart(): Promise<void> {
    return this.start();
  }
  running(): boolean {
    return this.proc.running();
  }
  signal(sig: NodeJS.Signals): void {
    this.proc.signal(sig);
  }
  stop(): Promise<void> {
    return this.proc.stop();
  }
  /** SIGKILL the process group. */
  killGroup(): Promise<void> {
    return this.proc.killGroup();
  }

  /** One command on a short-lived connection. */
  command(name: string, ...args: string[]): Promise<unknown> {
    return redisCommand(this.port, name, ...args);
  }

  async version(): Promise<string | undefined> {
    const info = String(await this.command('INFO', 'server'));
    return /redis_version:(\S+)/.exec(info)?.[1];
  }
}
