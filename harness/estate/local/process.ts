import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { DRILL_ID_ENV, RUN_ID_ENV } from '../../core/session.ts';
import { isAlive, killProcessGroup } from '../../core/exec.ts';
import { poll } from '../../core/poll.ts';
import { EstateError } from '../../core/errors.ts';
import { logger } from '../../core/log.ts';
import { announceSpawn } from '../../core/spawn-hook.ts';

const log = logger('estate');

export interface ProcessSpec {
  name: string;
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  runId: string;
  /** The drill of the run (labels the process beside the run id). */
  drillId?: string;
  uid?: number;
  gid?: number;
  /** Grace between SIGTERM and SIGKILL on stop. */
  stopGraceMs?: number;
}

/**
 * A long-running program of the estate. It runs in its own process group (so Ctrl-C on the terminal reaches the
 * harness only, and teardown can take down the program with every child it forked), labelled with the run id in
 * its environment, with stdout and stderr appended to a log file in the run directory.
 */
export class LocalProcess {
  private child: ReturnType<typeof spawn> | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly everPids = new Set<number>();

  constructor(readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Every pid this role ever had (for the leak check). */
  get pids(): number[] {
    return [...this.everPids];
  }

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running()) return;
    const s = this.spec;
    const fd = openSync(s.logFile, 'a');
    try {
      const child = spawn(s.file, s.args, {
        cwd: s.cwd,
        env: { ...s.env, [RUN_ID_ENV]: s.runId, ...(s.drillId ? { [DRILL_ID_ENV]: s.drillId } : {}) },
        stdio: ['ignore', fd, fd],
        detached: true,
        ...(s.uid !== undefined ? { uid: s.uid } : {}),
        ...(s.gid !== undefined ? { gid: s.gid } : {}),
      });
      this.child = child;
      this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
      child.once('error', (e) => log.debug(`${s.name}: ${e.message}`));
      // The harness waits for what it needs explicitly; a kept estate (--keep) must not keep the CLI alive.
      child.unref();
      if (child.pid === undefined) throw new EstateError(`${s.name}: could not start ${s.file}`);
      this.everPids.add(child.pid);
      announceSpawn(child.pid, true);
      log.debug(`${s.name}: started pid ${child.pid}`);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Start and wait until `ready` says so. Exiting during start-up fails at once with a pointer to the log,
   * instead of waiting out the deadline.
   */
  async startUntil(ready: () => Promise<boolean>, subject: string, timeoutMs: number): Promise<void> {
    this.start();
    await poll(
      async () => {
        if (!this.running())
          throw new EstateError(`${this.spec.name} exited during start-up (see ${this.spec.name}.log)`);
        return ready();
      },
      { subject, timeoutMs, intervalMs: 25 },
    );
  }

  signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running()) return;
    try {
      process.kill(pid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }

  /** SIGTERM the group, wait up to the grace, then SIGKILL the group. Already gone is success. */
  async stop(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    if (this.running()) killProcessGroup(pid, 'SIGTERM');
    const grace = this.spec.stopGraceMs ?? 5000;
    const done = await Promise.race([this.exited.then(() => true), sleep(grace).then(() => false)]);
    if (!done) log.debug(`${this.spec.name}: no exit after ${grace} ms, SIGKILL`);
    await this.killGroup();
  }

  /** SIGKILL whatever is left of the group (children of a killed postmaster linger briefly). */
  async killGroup(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    killProcessGroup(pid, 'SIGKILL');
    await this.exited;
    await poll(() => !killProcessGroup(pid, 0) || undefined, {
      subject: `${this.spec.name} process group ${pid} to exit`,
      timeoutMs: 5000,
      intervalMs: 20,
    }).catch(() => undefined);
  }

  /** Wait for the process to exit by itself (after a kill -9 aimed at it). */
  async waitExit(timeoutMs: number): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    await poll(() => !isAlive(pid) || undefined, {
      subject: `${this.spec.name} to exit`,
      timeoutMs,
      intervalMs: 20,
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
