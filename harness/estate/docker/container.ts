import type Dockerode from 'dockerode';
import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { describe, EstateError } from '../../core/errors.ts';
import { isAlive } from '../../core/exec.ts';
import { poll } from '../../core/poll.ts';
import { logger } from '../../core/log.ts';
import type { ProcessRole } from '../types.ts';
import { dockerode, gone, LABEL_ROLE } from './engine.ts';

const log = logger('estate');

/** What one container of the estate is: its image, command, network name and the host ports it publishes. */
export interface ContainerSpec {
  /** Role name in the estate and in reports ('postgres-primary', 'redis', 'app', 'router'). */
  role: string;
  /** Container name (unique on the engine: carries the run id). */
  name: string;
  image: string;
  network: string;
  /** DNS name of the container on the estate's network. */
  alias: string;
  labels: Record<string, string>;
  env?: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  /** Published on 127.0.0.1 only, at fixed host ports so a restarted container keeps its address. */
  ports: { container: number; host: number }[];
  /** Signal `docker stop` sends first (Postgres: SIGINT, its fast shutdown). */
  stopSignal?: NodeJS.Signals;
  files?: { source: string; target: string }[];
  /** Host directories bind-mounted read-write (the run directory's WAL archive and backups). */
  binds?: { source: string; target: string }[];
  /** Named volumes of the run mounted into the container (the database's size-limited tmpfs volume). */
  volumes?: { name: string; target: string; readOnly?: boolean }[];
  /** The cgroup the engine creates the container's under (`--cgroup-parent`); default: the engine's. */
  cgroupParent?: string;
  /** Ready when this resolves true (polled from the host through the published ports); default: running. */
  ready?: () => Promise<boolean>;
  /** Where its readiness check is declared, for the message when it never passes. */
  readySubject?: string;
  startTimeoutMs: number;
  /**
   * Created by a compose project (`system.docker.compose`) rather than by testcontainers: `up` declares the
   * container as that project's service and starts it; the role then acts on it by name as on any other.
   */
  compose?: { up: (spec: ContainerSpec) => Promise<void> };
}

/**
 * testcontainers' GenericContainer, with what a drill estate needs beyond its builder: ports published on
 * 127.0.0.1 only (not every interface), a stop signal, one network with an alias and no detour through the
 * default bridge, and no waiting of its own (readiness is the role's to judge, from the host).
 */
class EstateContainer extends GenericContainer {
  constructor(spec: ContainerSpec) {
    super(spec.image);
    this.withName(spec.name)
      .withLabels({ ...spec.labels, [LABEL_ROLE]: spec.role })
      .withEnvironment(spec.env ?? {})
      .withNetworkMode(spec.network)
      .withExposedPorts(...spec.ports)
      .withWaitStrategy(noWait)
      .withStartupTimeout(spec.startTimeoutMs);
    if (spec.entrypoint) this.withEntrypoint(spec.entrypoint);
    if (spec.cmd) this.withCommand(spec.cmd);
    if (spec.user) this.withUser(spec.user);
    if (spec.files?.length) this.withCopyFilesToContainer(spec.files);
    if (spec.binds?.length) this.withBindMounts(spec.binds.map((b) => ({ ...b, mode: 'rw' as const })));
    if (spec.volumes?.length)
      this.hostConfig.Mounts = spec.volumes.map((v) => ({
        Type: 'volume' as const,
        Source: v.name,
        Target: v.target,
        ReadOnly: v.readOnly ?? false,
      }));
    if (spec.stopSignal) this.createOpts.StopSignal = spec.stopSignal;
    if (spec.cgroupParent) this.hostConfig.CgroupParent = spec.cgroupParent;
    const bindings = (this.hostConfig.PortBindings ?? {}) as Record<string, { HostPort: string }[]>;
    this.hostConfig.PortBindings = Object.fromEntries(
      Object.entries(bindings).map(([key, list]) => [key, list.map((b) => ({ ...b, HostIp: '127.0.0.1' }))]),
    );
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [spec.network]: { Aliases: [spec.alias] } } };
  }
}

/** A wait strategy that does not wait: the role polls its own readiness from the host. */
const noWait = {
  waitUntilReady: () => Promise.resolve(),
  withStartupTimeout() {
    return noWait;
  },
  isStartupTimeoutSet: () => true,
  getStartupTimeout: () => 0,
};

/**
 * One container of the estate as a role: kill sends the signal to the container's PID 1 (the postmaster,
 * redis-server, node), stop is `docker stop`, restart is `docker start` of the same container (same data,
 * same ports). Created through testcontainers; removed in teardown.
 */
export class DockerService implements ProcessRole {
  private started: StartedTestContainer | undefined;
  private container: Dockerode.Container | undefined;
  private hostPid: number | undefined;
  private readonly everPids = new Set<number>();
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(readonly spec: ContainerSpec) {}

  get name(): string {
    return this.spec.role;
  }
  get id(): string | undefined {
    return this.started?.getId() ?? this.composeId;
  }
  private composeId: string | undefined;
  /** The host pid of the container's main process (on a local engine; the engine's namespace otherwise). */
  get pid(): number | undefined {
    return this.hostPid;
  }
  get pids(): number[] {
    return [...this.everPids];
  }

  running(): boolean {
    if (this.state !== 'running') return false;
    return this.hostPid !== undefined && localEngine() ? isAlive(this.hostPid) : true;
  }

  /** Create and start the container, then wait until it is ready. */
  async create(): Promise<void> {
    const started = Date.now();
    if (this.spec.compose) await this.spec.compose.up(this.spec);
    else this.started = await new EstateContainer(this.spec).start();
    // By name: a container a runbook block put in its place under the same name is the one acted on then.
    this.container = (await dockerode()).getContainer(this.spec.name);
    log.debug(`${this.spec.role}: container ${this.spec.name} started in ${Date.now() - started} ms`);
    await this.afterStart();
  }

  /** `docker start` again after a stop or a kill. */
  async restart(): Promise<void> {
    const c = this.requireContainer();
    try {
      await c.start();
    } catch (e) {
      // 304: already running.
      if ((e as { statusCode?: number }).statusCode !== 304) throw e;
    }
    await this.afterStart();
  }

  private async afterStart(): Promise<void> {
    const c = this.requireContainer();
    const info = await c.inspect();
    if (this.spec.compose) this.composeId = info.Id;
    this.hostPid = info.State.Pid > 0 ? info.State.Pid : undefined;
    if (this.hostPid) this.everPids.add(this.hostPid);
    this.state = 'running';
    // A container that exited will not become ready: that ends the wait at once, not at its deadline.
    let exited: EstateError | undefined;
    await poll(
      async () => {
        const s = (await c.inspect()).State;
        if (!s.Running) {
          exited = new EstateError(
            `${this.spec.role} exited during start-up (exit ${s.ExitCode}): ${await this.logTail()}`,
          );
          return true;
        }
        return this.isReady();
      },
      {
        subject: `${this.spec.role} (container ${this.spec.name}) to be ready${this.spec.readySubject ? ` (${this.spec.readySubject})` : ''}`,
        timeoutMs: this.spec.startTimeoutMs,
        intervalMs: 25,
      },
    );
    if (exited) {
      this.state = 'stopped';
      throw exited;
    }
  }

  /** Readiness as seen from the host; roles override it. */
  protected isReady(): Promise<boolean> {
    return this.spec.ready?.() ?? Promise.resolve(true);
  }

  /** `docker kill -s SIG`: the signal goes to PID 1 of the container only, as `kill -SIG pid` would. */
  async signal(sig: NodeJS.Signals): Promise<void> {
    const c = this.container;
    if (!c) return;
    try {
      await c.kill({ signal: sig });
    } catch (e) {
      // 409: not running; 404: gone. Signalling what is not there is not an error, as with the local backend.
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 409 && code !== 404) throw e;
    }
    if (sig === 'SIGKILL') await this.waitExit(5000);
  }

  /** Graceful `docker stop` (the image's stop signal, then SIGKILL after the grace); idempotent. */
  async stop(): Promise<void> {
    const c = this.container;
    if (!c) return;
    try {
      await c.stop({ t: 5 });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw e;
    }
    this.state = 'stopped';
  }

  /** Remove the container and its anonymous volumes; already gone is success. */
  async remove(): Promise<void> {
    const c = this.container;
    if (!c) return;
    try {
      await c.remove({ force: true, v: true });
    } catch (e) {
      if (!gone(e)) throw e;
    }
    this.state = 'stopped';
  }

  async waitExit(timeoutMs: number): Promise<void> {
    const c = this.requireContainer();
    await poll(async () => !(await c.inspect()).State.Running || undefined, {
      subject: `${this.spec.role} to exit`,
      timeoutMs,
      intervalMs: 20,
    });
    this.state = 'stopped';
  }

  /** Run a command in the container (for what only the container can see); returns its output. */
  async exec(cmd: string[], user?: string): Promise<{ exitCode: number; output: string }> {
    if (this.started) {
      const r = await this.started.exec(cmd, user ? { user } : {});
      return { exitCode: r.exitCode, output: r.output };
    }
    // A compose project's container: the engine's exec API directly.
    const ex = await this.requireContainer().exec({
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
      ...(user ? { User: user } : {}),
    });
    const stream = await ex.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (b: Buffer) => chunks.push(b));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const info = await ex.inspect();
    return { exitCode: info.ExitCode ?? -1, output: demux(Buffer.concat(chunks)) };
  }

  async logTail(lines = 5): Promise<string> {
    try {
      const buf = await this.requireContainer().logs({
        stdout: true,
        stderr: true,
        tail: lines,
        follow: false,
      });
      // Multiplexed stream frames: strip the 8-byte headers.
      return demux(buf).trim().split('\n').join(' | ');
    } catch (e) {
      return `(no logs: ${describe(e)})`;
    }
  }

  private requireContainer(): Dockerode.Container {
    if (!this.container) throw new EstateError(`${this.spec.role} has no container yet`);
    return this.container;
  }
}

/** Docker's log stream format: frames of [stream, 0, 0, 0, size(4)] + payload. */
export function demux(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return i === 0 ? buf.toString('utf8') : out;
}

/** The engine runs on this machine, so container pids are host pids we can look at. */
export function localEngine(env: NodeJS.ProcessEnv = process.env): boolean {
  return process.platform === 'linux' && (!env.DOCKER_HOST || env.DOCKER_HOST.startsWith('unix://'));
}
