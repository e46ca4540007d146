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
}

/**
 * redis-server on 127.0.0.1 with the persistence the runbook configures (AOF every second plus RDB snapshots),
 * its files in the run directory so a restart after a kill recovers what was persisted.
 */
export class LocalRedis implements RedisRole {
  readonly name = 'redis';
  private readonly proc: LocalProcess;

  constructor(private readonly spec: RedisSpec) {
    const dir = join(spec.runDir, 'redis');
    mkdirSync(dir, { recursive: true });
    this.proc = new LocalProcess({
      name: 'redis',
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
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '60 1',
        '--protected-mode',
        'yes',
      ],
      env: { PATH: process.env.PATH },
      logFile: join(spec.runDir, 'redis.log'),
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
      `redis to answer on 127.0.0.1:${this.port}`,
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

  /** One command on a short-lived connection. */
  command(name: string, ...args: string[]): Promise<unknown> {
    return redisCommand(this.port, name, ...args);
  }

  async version(): Promise<string | undefined> {
    const info = String(await this.command('INFO', 'server'));
    return /redis_version:(\S+)/.exec(info)?.[1];
  }
}
