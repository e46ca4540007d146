import { join } from 'node:path';
import axios from 'axios';
import { PROJECT_ROOT } from '../host/project-root.ts';
import { LocalProcess } from './process.ts';

export interface NodeServiceSpec {
  name: string;
  /** Entry file relative to the project root (a TypeScript program of drillbook's, run by node through bin/run-ts.js). */
  entry?: string;
  /** Or any program: its argv (no shell) and working directory (the system under test's app). */
  command?: { argv: string[]; cwd: string };
  env: NodeJS.ProcessEnv;
  runDir: string;
  runId: string;
  drillId?: string;
  /** URL that answers `healthStatus` (default 200) once the service is up. */
  healthUrl: string;
  healthStatus?: number;
  /** Where the health check is declared, for the message when it never answers (`health.path in FILE`). */
  healthSource?: string;
  startTimeoutMs: number;
}

/**
 * A TypeScript program of the estate (the app, the router) run as its own node process. It can be redeployed
 * with a changed environment (a new release), which replaces the process and keeps every pid for the leak check.
 */
export class NodeService {
  private current: LocalProcess;
  private readonly all: LocalProcess[] = [];
  private env: NodeJS.ProcessEnv;

  constructor(private readonly spec: NodeServiceSpec) {
    this.env = spec.env;
    this.current = this.makeProcess();
  }

  get proc(): LocalProcess {
    return this.current;
  }

  get pids(): number[] {
    return this.all.flatMap((p) => p.pids);
  }

  private makeProcess(): LocalProcess {
    // bin/run-ts.js runs the program from its cached bundle (tsx when there is none): the router is up in
    // about half the CPU time of transpiling it on every start.
    const [file, ...args] = this.spec.command?.argv ?? [
      process.execPath,
      join(PROJECT_ROOT, 'bin', 'run-ts.js'),
      join(PROJECT_ROOT, this.spec.entry ?? ''),
    ];
    const p = new LocalProcess({
      name: this.spec.name,
      file: file ?? process.execPath,
      args,
      cwd: this.spec.command?.cwd ?? PROJECT_ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', ...this.env },
      logFile: join(this.spec.runDir, `${this.spec.name}.log`),
      runId: this.spec.runId,
      ...(this.spec.drillId ? { drillId: this.spec.drillId } : {}),
      stopGraceMs: 3000,
    });
    this.all.push(p);
    return p;
  }

  stop(): Promise<void> {
    return this.current.stop();
  }

  /**
   * Stop the running process and start a new one with `env` as its environment: a release's environment
   * replaces the last one's, so a variable only the previous release set (a bad release's `FAULTY=1`) does not
   * follow the service into the next.
   */
  async redeploy(env: NodeJS.ProcessEnv): Promise<void> {
    await this.current.stop();
    this.env = { ...env };
    this.current = this.makeProcess();
    await this.start();
  }

  async start(): Promise<void> {
    await this.current.startUntil(
      async () => {
        const res = await axios.get(this.spec.healthUrl, {
          timeout: 1000,
          proxy: false,
          validateStatus: () => true,
        });
        const want = this.spec.healthStatus ?? 200;
        if (res.status !== want) throw new Error(`answered ${res.status}, not ${want}`);
        return true;
      },
      `${this.spec.name} to answer ${this.spec.healthUrl}${this.spec.healthSource ? ` (${this.spec.healthSource})` : ''}`,
      this.spec.startTimeoutMs,
    );
  }
}
