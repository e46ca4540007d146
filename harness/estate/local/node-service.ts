import { join } from 'node:path';
import axios from 'axios';
import { poll } from '../../core/poll.ts';
import { EstateError } from '../../core/errors.ts';
import { LocalProcess } from './process.ts';

/** The project root, where `node --import tsx <entry>` resolves its imports from. */
export const PROJECT_ROOT = join(import.meta.dirname, '..', '..', '..');

export interface NodeServiceSpec {
  name: string;
  /** Entry file relative to the project root. */
  entry: string;
  env: NodeJS.ProcessEnv;
  runDir: string;
  runId: string;
  /** URL that answers 200 once the service is up. */
  healthUrl: string;
  startTimeoutMs: number;
}

/** A TypeScript program of the estate (the app, the router) run as its own node process. */
export class NodeService {
  readonly proc: LocalProcess;

  constructor(private readonly spec: NodeServiceSpec) {
    this.proc = new LocalProcess({
      name: spec.name,
      file: process.execPath,
      args: ['--import', 'tsx', join(PROJECT_ROOT, spec.entry)],
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', ...spec.env },
      logFile: join(spec.runDir, `${spec.name}.log`),
      runId: spec.runId,
      stopGraceMs: 3000,
    });
  }

  async start(): Promise<void> {
    this.proc.start();
    await poll(
      async () => {
        if (!this.proc.running())
          throw new EstateError(`${this.spec.name} exited during start-up (see ${this.spec.name}.log)`);
        const res = await axios.get(this.spec.healthUrl, {
          timeout: 1000,
          proxy: false,
          validateStatus: () => true,
        });
        return res.status === 200;
      },
      {
        subject: `${this.spec.name} to answer ${this.spec.healthUrl}`,
        timeoutMs: this.spec.startTimeoutMs,
        intervalMs: 25,
      },
    );
  }
}
