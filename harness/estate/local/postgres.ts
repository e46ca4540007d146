import { chownSync, mkdirSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, run } from '../../core/exec.ts';
import { poll } from '../../core/poll.ts';
import { EstateError } from '../../core/errors.ts';
import { pgQuery } from '../pg-query.ts';
import {
  confLines,
  passwordStatement,
  PG_HBA,
  replicationName,
  standbySettings,
} from '../postgres-config.ts';
import type { PgConnectionInfo, PostgresRole } from '../types.ts';
import type { PgUser } from '../host/binaries.ts';
import { LocalProcess } from './process.ts';
import { clusterTemplate } from './pg-template.ts';
import { cwdOf, exeOf, hasProc, real, startTime } from '../host/proc.ts';

export interface PgNodeSpec {
  name: string;
  binDir: string;
  runDir: string;
  runId: string;
  drillId?: string;
  port: number;
  user: PgUser | undefined;
  superuser: string;
  password: string;
  database: string;
  startTimeoutMs: number;
  /** Where its data lives (default: `<runDir>/<name>`); a two-site estate keeps each site's apart. */
  dataDir?: string;
}

/**
 * One PostgreSQL server of the estate, run from the machine's own binaries: TCP on 127.0.0.1 only (no Unix
 * socket), scram-sha-256 authentication, data and logs in the run directory.
 */
export class LocalPostgres implements PostgresRole {
  readonly dataDir: string;
  private readonly proc: LocalProcess;

  constructor(private readonly spec: PgNodeSpec) {
    this.dataDir = spec.dataDir ?? join(spec.runDir, spec.name);
    this.proc = new LocalProcess({
      name: spec.name,
      file: join(spec.binDir, 'postgres'),
      args: ['-D', this.dataDir, '-p', String(spec.port)],
      env: { LANG: 'C', LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' },
      logFile: join(spec.runDir, `${spec.name}.log`),
      runId: spec.runId,
      ...(spec.drillId ? { drillId: spec.drillId } : {}),
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
      // A fast shutdown is what an operator's "stop" is; SIGTERM would be "smart" and wait for clients.
      stopGraceMs: 5000,
    });
  }

  get name(): string {
    return this.spec.name;
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

  connection(): PgConnectionInfo {
    const s = this.spec;
    return { host: '127.0.0.1', port: s.port, user: s.superuser, password: s.password, database: s.database };
  }

  /** Environment for libpq tools run against this server: the password travels here, never in argv. */
  toolEnv(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, LANG: 'C', PGPASSWORD: this.spec.password, PGCONNECT_TIMEOUT: '3' };
  }

  /**
   * A fresh primary with replication enabled and the given settings appended: a copy of the machine's template
   * cluster (pg-template.ts) given the run's password, as initdb with the same arguments would have made it.
   */
  async initPrimary(
    settings: Record<string, string | number>,
    opts: { walSegmentMb?: number } = {},
  ): Promise<void> {
    const s = this.spec;
    // The superuser's password, readable only by the harness's account: what an operator of a kept estate
    // (--keep) connects with.
    writeFileSync(join(s.runDir, `${s.name}.pw`), `${s.password}\n`, { mode: 0o600 });
    const template = await clusterTemplate({
      binDir: s.binDir,
      superuser: s.superuser,
      scratchDir: s.runDir,
      ...(opts.walSegmentMb ? { walSegmentMb: opts.walSegmentMb } : {}),
      ...(s.user ? { user: s.user } : {}),
    });
    // `cp -a` keeps the template's owners (the database account, as root) and modes.
    this.makeOwnedDir(this.dataDir);
    await run('cp', ['-a', `${template}/.`, this.dataDir], { timeoutMs: 60_000 });
    writeFileSync(join(this.dataDir, 'pg_hba.conf'), PG_HBA);
    if (s.user) chownSync(join(this.dataDir, 'pg_hba.conf'), s.user.uid, s.user.gid);
    await this.runAsPgUser(
      'postgres',
      ['--single', '-D', this.dataDir, '-c', 'log_min_messages=warning', 'postgres'],
      undefined,
      passwordStatement(s.superuser, s.password),
    );
    appendFileSync(join(this.dataDir, 'postgresql.conf'), estateConf(settings));
  }

  /**
   * pg_basebackup from `primary` into a new standby with a replication slot, and configure it to follow the
   * primary through `upstream` (the router's replication route).
   */
  async initStandby(primary: LocalPostgres, upstream: { host: string; port: number }): Promise<void> {
    await this.initDr(primary, standbySettings(upstream, this.spec.password), {
      slot: replicationName(this.spec.name),
    });
  }

  /**
   * A DR site's database: the primary's base backup (pg_basebackup, as the runbook's daily full backup restored
   * there), kept in recovery (standby.signal) with `settings` (where it restores shipped WAL from; whom it
   * streams from, with `slot` created on the primary, in the streaming variant).
   */
  async initDr(
    primary: LocalPostgres,
    settings: Record<string, string | number>,
    opts: { slot?: string } = {},
  ): Promise<void> {
    const s = this.spec;
    this.makeOwnedDir(this.dataDir);
    await this.runAsPgUser(
      'pg_basebackup',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(primary.port),
        '-U',
        s.superuser,
        '-D',
        this.dataDir,
        '-X',
        'stream',
        '-c',
        'fast',
        ...(opts.slot ? ['-C', '-S', opts.slot] : []),
        '--no-sync',
        '-w',
      ],
      primary.toolEnv(),
    );
    appendFileSync(join(this.dataDir, 'postgresql.conf'), estateConf(settings));
    writeFileSync(join(this.dataDir, 'standby.signal'), '');
    if (s.user) chownSync(join(this.dataDir, 'standby.signal'), s.user.uid, s.user.gid);
  }

  /** Start and wait until it accepts queries. */
  async start(): Promise<void> {
    await this.proc.startUntil(
      async () => (await this.adminQuery('SELECT 1'), true),
      `${this.name} to accept connections on 127.0.0.1:${this.port}`,
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
  /** Fast shutdown (SIGINT: roll back open transactions, checkpoint), then make sure nothing of it is left. */
  async stop(): Promise<void> {
    if (this.proc.running()) this.proc.signal('SIGINT');
    await this.proc.stop();
  }
  killGroup(): Promise<void> {
    return this.proc.killGroup();
  }

  async query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.queryOn(this.spec.database, sql, params);
  }

  /** A statement on the maintenance database, for what must run before the app database exists. */
  adminQuery(sql: string): Promise<Record<string, unknown>[]> {
    return this.queryOn('postgres', sql, []);
  }

  private queryOn<R extends Record<string, unknown>>(
    database: string,
    sql: string,
    params: unknown[],
  ): Promise<R[]> {
    return pgQuery<R>({ ...this.connection(), database }, sql, params);
  }

  async isInRecovery(): Promise<boolean> {
    const [row] = await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    return row?.r === true;
  }

  private makeOwnedDir(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (this.spec.user) chownSync(dir, this.spec.user.uid, this.spec.user.gid);
  }

  private async runAsPgUser(
    tool: string,
    args: string[],
    env?: NodeJS.ProcessEnv,
    input?: string,
  ): Promise<void> {
    const u = this.spec.user;
    await run(join(this.spec.binDir, tool), args, {
      env: env ?? { PATH: process.env.PATH, LANG: 'C' },
      ...(input !== undefined ? { input } : {}),
      cwd: this.spec.runDir,
      timeoutMs: 60_000,
      ...(u ? { uid: u.uid, gid: u.gid } : {}),
    });
  }
}

/**
 * A Postgres server that a runbook block started (pg_ctl start on a restored data directory): the harness did
 * not spawn it, so it knows it by its data directory and port, finds its postmaster through postmaster.pid,
 * and stops it in teardown like any other role.
 */
export class AdoptedPostgres implements PostgresRole {
  private lastPid: number | undefined;
  /** The harness's own start (clock ticks after boot): the server a runbook block started began after it. */
  private readonly since = startTime(process.pid);

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly conn: PgConnectionInfo,
  ) {}

  /**
   * The postmaster's pid from postmaster.pid, only once it is proven to be this data directory's server: the file
   * belongs to the database's account (a runbook block as=postgres can write anything there), and the harness,
   * often root, must never signal whatever process it names. See `isPostmasterOf`.
   */
  get pid(): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
    if (!(Number.isInteger(pid) && pid > 0) || !isPostmasterOf(pid, this.dataDir, this.since))
      return undefined;
    this.lastPid = pid;
    return pid;
  }
  get pids(): number[] {
    return this.lastPid ? [this.lastPid] : [];
  }
  connection(): PgConnectionInfo {
    return { ...this.conn, port: this.port };
  }
  running(): boolean {
    const pid = this.pid;
    return pid !== undefined && isAlive(pid);
  }
  signal(sig: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid !== undefined && isAlive(pid)) process.kill(pid, sig);
  }
  /** Fast shutdown, then SIGKILL if it lingers; a server that never started is already stopped. */
  async stop(): Promise<void> {
    const pid = this.pid ?? this.lastPid;
    // lastPid was proven once; proven again here, for a pid can be reused between the two.
    if (pid === undefined || !isAlive(pid) || !isPostmasterOf(pid, this.dataDir, this.since)) return;
    process.kill(pid, 'SIGINT');
    await poll(() => !isAlive(pid) || undefined, {
      subject: `${this.name} to stop`,
      timeoutMs: 5000,
      intervalMs: 20,
    }).catch(() => {
      process.kill(pid, 'SIGKILL');
    });
  }
  restart(): Promise<void> {
    return Promise.reject(
      new EstateError(`${this.name} was started by a runbook block; start it again the same way`),
    );
  }
  query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return pgQuery<R>(this.connection(), sql, params);
  }
  async isInRecovery(): Promise<boolean> {
    const [row] = await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    return row?.r === true;
  }
}

/** The estate's settings as a block appended to postgresql.conf. */
function estateConf(settings: Record<string, string | number>): string {
  return `\n# drillbook estate settings\n${confLines(settings)}\n`;
}

/**
 * Is `pid` the postmaster of `dataDir`? A postmaster's working directory is its data directory, its executable is
 * the postgres binary, and (for a server a runbook block started during this run) it started after the harness.
 * Without /proc nothing can be proven: only a harness that is not root trusts the file then (it cannot signal
 * other accounts' processes anyway).
 */
export function isPostmasterOf(pid: number, dataDir: string, notBefore?: number): boolean {
  if (!hasProc()) return process.getuid?.() !== 0;
  const start = startTime(pid);
  if (start === undefined) return false;
  if (notBefore !== undefined && start < notBefore) return false;
  const cwd = cwdOf(pid);
  const exe = exeOf(pid);
  return cwd !== undefined && real(cwd) === real(dataDir) && exe !== undefined && /\/postgres$/.test(exe);
}
