import axios from 'axios';
import type { RepointOptions, RouteState } from '../router/types.ts';
import { RouterClient } from '../router/client.ts';
import type { AppRole, RouterRole } from '../types.ts';
import { DockerService, type ContainerSpec } from './container.ts';
import { LABEL_RELEASE } from './build.ts';
import { dockerode } from './engine.ts';

/** Whether the app's health check answers as its config says a healthy app does. */
async function healthy(url: string, status: number): Promise<boolean> {
  const res = await axios.get(url, { timeout: 1000, proxy: false, validateStatus: () => true });
  if (res.status !== status) throw new Error(`${url} answered ${res.status}, not ${status}`);
  return true;
}

export interface AppHealth {
  path: string;
  status: number;
  /** Where it is declared (`health.path in drillbook.config.yaml`). */
  source: string;
}

/**
 * The demo app as a container of a release image (`<app repo>:<version>`). A deploy replaces the container
 * by one of another tag, under the same name, network alias and host port, as `docker compose up -d` does for
 * a changed image tag. The role addresses its container by name, so a container that a runbook block put in
 * its place (the Docker deployment commands) is the one it then stops, kills or inspects.
 */
export class DockerApp implements AppRole {
  private service: DockerService;
  private current: string;

  constructor(
    private readonly base: Omit<ContainerSpec, 'image' | 'ready'>,
    private readonly imageOf: (version: string) => string,
    version: string,
    private readonly health: AppHealth,
    readonly name = 'app',
  ) {
    this.current = version;
    this.service = this.make(version);
  }

  private make(version: string): DockerService {
    return new DockerService({
      ...this.base,
      image: this.imageOf(version),
      ready: () => healthy(`http://127.0.0.1:${this.port}${this.health.path}`, this.health.status),
      readySubject: this.health.source,
    });
  }

  get port(): number {
    return this.base.ports[0]?.host ?? 0;
  }
  get version(): string {
    return this.current;
  }
  get pid(): number | undefined {
    return this.service.pid;
  }
  get pids(): number[] {
    return this.service.pids;
  }
  get containerName(): string {
    return this.base.name;
  }
  running(): boolean {
    return this.service.running();
  }
  signal(sig: NodeJS.Signals): Promise<void> {
    return this.service.signal(sig);
  }
  stop(): Promise<void> {
    return this.service.stop();
  }
  restart(): Promise<void> {
    return this.service.restart();
  }
  create(): Promise<void> {
    return this.service.create();
  }
  remove(): Promise<void> {
    return this.service.remove();
  }

  async deploy(version: string): Promise<void> {
    await this.service.remove();
    this.service = this.make(version);
    this.current = version;
    await this.service.create();
  }

  /** The release the container under the app's name runs now (a runbook block may have replaced it). */
  async runningVersion(): Promise<string> {
    try {
      const info = await (await dockerode()).getContainer(this.base.name).inspect();
      const v = info.Config.Labels[LABEL_RELEASE];
      if (v) this.current = v;
    } catch {
      // no container under that name now: the last known release stands
    }
    return this.current;
  }
}

/**
 * The router in a container on the estate network: the app reaches the database through it by name, the host
 * reaches its routes and admin API through ports published on 127.0.0.1. Its client speaks in host
 * addresses, as the local backend's does: a step repoints to `127.0.0.1:<a role's port>`, which the client
 * translates to that role's address on the estate network (and back, when it reads the routes).
 */
export class DockerRouter extends DockerService implements RouterRole {
  readonly client: RouterClient;

  constructor(
    spec: Omit<ContainerSpec, 'ready'>,
    private readonly routePorts: { app: number; db: number },
    addresses: AddressBook,
  ) {
    super(spec);
    this.client = new TranslatingRouterClient(`http://127.0.0.1:${this.adminPort}`, addresses);
  }
  get adminPort(): number {
    return this.spec.ports[0]?.host ?? 0;
  }
  listenPort(route: 'app' | 'db'): number {
    return this.routePorts[route];
  }
  protected override isReady(): Promise<boolean> {
    return this.client.health();
  }
}

/** Host address (`127.0.0.1:<published port>`) <-> estate-network address (`<alias>:<port>`). */
export class AddressBook {
  private readonly toInternal = new Map<string, string>();
  private readonly toHost = new Map<string, string>();

  add(hostPort: number, internal: string): void {
    this.toInternal.set(`127.0.0.1:${hostPort}`, internal);
    this.toHost.set(internal, `127.0.0.1:${hostPort}`);
  }
  internal(target: string): string {
    const t = this.toInternal.get(target.replace(/^localhost:/, '127.0.0.1:'));
    if (!t) throw new Error(`${target} is no server of this docker estate`);
    return t;
  }
  host(target: string): string {
    return this.toHost.get(target) ?? target;
  }
  hostPort(target: string): number | undefined {
    const h = this.toHost.get(target);
    return h ? Number(h.split(':').at(-1)) : undefined;
  }
}

class TranslatingRouterClient extends RouterClient {
  constructor(
    adminUrl: string,
    private readonly book: AddressBook,
  ) {
    super(adminUrl);
  }
  override async routes(): Promise<RouteState[]> {
    return (await super.routes()).map((r) => this.outward(r));
  }
  override async repoint(name: string, target: string, opts: RepointOptions = {}): Promise<RouteState> {
    return this.outward(await super.repoint(name, this.book.internal(target), opts));
  }
  private outward(r: RouteState): RouteState {
    return { ...r, target: this.book.host(r.target) };
  }
}
