import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { EstateError } from '../../core/errors.ts';
import { poll } from '../../core/poll.ts';
import { pgQuery } from '../pg-query.ts';
import type { AppRole, PgConnectionInfo, PostgresRole, RedisRole } from '../types.ts';
import { containerId, notFound, podReady, waitPodGone, waitPodReady, type KubeApi } from './api.ts';
import type { Cluster } from './cluster.ts';
import type { EndpointProxy } from './endpoint-proxy.ts';

/**
 * A role that is one pod (`restartPolicy: Never`: a killed server stays down, as on the other backends, until
 * the harness or a runbook block starts it again). The pod's last known state is refreshed on every question.
 */
export class PodRole {
  protected last: V1Pod | undefined;
  private everCreated = false;

  constructor(
    readonly name: string,
    protected readonly api: KubeApi,
    protected readonly namespace: string,
    protected readonly cluster: Cluster,
    private readonly manifest: () => V1Pod,
    protected readonly startTimeoutMs: number,
  ) {}

  /**
   * The pid of the container's main process as its node sees it (the cluster finds it: on this machine through
   * its cgroup, in a kind node through crictl), as `kill -9 <pid>` would take it; undefined when the pod has no
   * running container.
   */
  get pid(): number | undefined {
    const id = this.last?.status?.containerStatuses?.[0]?.state?.running ? containerId(this.last) : undefined;
    return id ? this.cluster.containerPid(id) : undefined;
  }
  /** The pod's IP (changes when the pod is made again). */
  get ip(): string {
    return this.last?.status?.podIP ?? '';
  }
  get podName(): string {
    return this.name;
  }

  running(): boolean {
    void this.refresh();
    const s = this.last?.status?.containerStatuses?.[0]?.state;
    return s?.running !== undefined;
  }

  async refresh(): Promise<V1Pod | undefined> {
    try {
      this.last = await this.api.core.readNamespacedPod({ name: this.name, namespace: this.namespace });
    } catch (e) {
      if (notFound(e)) this.last = undefined;
    }
    return this.last;
  }

  async create(): Promise<void> {
    this.everCreated = true;
    await this.api.core.createNamespacedPod({ namespace: this.namespace, body: this.manifest() });
    this.last = await waitPodReady(this.api, this.namespace, this.name, this.startTimeoutMs);
  }

  /** Signal the main process of the pod's container on the node. */
  async signal(sig: NodeJS.Signals): Promise<void> {
    const id = containerId(await this.refresh());
    if (!id) throw new EstateError(`${this.name}: no running container to signal`);
    await this.cluster.signalContainer(id, sig);
  }

  /** Delete the pod (graceful: the server gets SIGTERM, then `terminationGracePeriodSeconds`). */
  async stop(): Promise<void> {
    if (!this.everCreated) return;
    try {
      await this.api.core.deleteNamespacedPod({ name: this.name, namespace: this.namespace });
    } catch (e) {
      if (!notFound(e)) throw e;
    }
    await waitPodGone(this.api, this.namespace, this.name, 60_000);
    this.last = undefined;
  }

  /** The pod again, with the same data (its directories are the run directory's, on the node). */
  async restart(): Promise<void> {
    await this.stop();
    await this.create();
  }
}

/**
 * A Postgres server in a pod on the node's network (hostNetwork), listening on the node's address (the
 * cluster's `nodeAddress`) at a port of this run: the harness, the router and runbook blocks reach it there.
 */
export class KubePostgres extends PodRole implements PostgresRole {
  constructor(
    name: string,
    api: KubeApi,
    namespace: string,
    cluster: Cluster,
    manifest: () => V1Pod,
    startTimeoutMs: number,
    readonly port: number,
    readonly dataDir: string,
    private readonly creds: Omit<PgConnectionInfo, 'host' | 'port'>,
    readonly host: string,
  ) {
    super(name, api, namespace, cluster, manifest, startTimeoutMs);
  }
  connection(): PgConnectionInfo {
    return { ...this.creds, host: this.host, port: this.port };
  }
  query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return pgQuery<R>(this.connection(), sql, params);
  }
  adminQuery(sql: string): Promise<Record<string, unknown>[]> {
    return pgQuery({ ...this.connection(), database: 'postgres' }, sql, []);
  }
  async isInRecovery(): Promise<boolean> {
    const [row] = await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    return row?.r === true;
  }
}

/** redis-server in a pod on the node's network, at the node's address and a port of this run. */
export class KubeRedis extends PodRole implements RedisRole {
  constructor(
    api: KubeApi,
    namespace: string,
    cluster: Cluster,
    manifest: () => V1Pod,
    startTimeoutMs: number,
    readonly port: number,
    readonly host: string,
  ) {
    super('redis', api, namespace, cluster, manifest, startTimeoutMs);
  }
  url(): string {
    return `redis://${this.host}:${this.port}`;
  }
}

/**
 * The app as the Deployment `backend`: its release is the image tag of its pod template, its traffic the
 * Service's ready endpoints (through the endpoint proxy). A deploy is `kubectl set image` done through the API
 * and waited for like `rollout status`; a runbook block may have changed the Deployment meanwhile, so the
 * running release is read from the cluster, never remembered.
 */
export class KubeApp implements AppRole {
  readonly name = 'app';
  private current: string;

  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly cluster: Cluster,
    private readonly proxy: EndpointProxy,
    private readonly imageRepo: string,
    private readonly replicas: number,
    initial: string,
    private readonly startTimeoutMs: number,
  ) {
    this.current = initial;
  }

  get port(): number {
    return this.proxy.port;
  }
  get version(): string {
    return this.current;
  }
  get pid(): number | undefined {
    return undefined;
  }
  running(): boolean {
    return this.proxy.ready().length > 0;
  }

  private read(): Promise<V1Deployment> {
    return this.api.apps.readNamespacedDeployment({ name: 'backend', namespace: this.namespace });
  }

  /** The release the Deployment's template runs now. */
  async runningVersion(): Promise<string> {
    const image = (await this.read().catch(() => undefined))?.spec?.template.spec?.containers[0]?.image;
    const tag = image?.split(':').at(-1);
    if (tag) this.current = tag;
    return this.current;
  }

  private async pods(): Promise<V1Pod[]> {
    return (
      await this.api.core.listNamespacedPod({ namespace: this.namespace, labelSelector: 'app=backend' })
    ).items;
  }

  /** Signal every backend container on the node (kubelet restarts what dies: restartPolicy Always). */
  async signal(sig: NodeJS.Signals): Promise<void> {
    for (const p of await this.pods()) {
      const id = containerId(p);
      if (id) await this.cluster.signalContainer(id, sig);
    }
  }

  private async scale(replicas: number): Promise<void> {
    const d = await this.read();
    if (d.spec) d.spec.replicas = replicas;
    await this.api.apps.replaceNamespacedDeployment({ name: 'backend', namespace: this.namespace, body: d });
  }

  async stop(): Promise<void> {
    await this.scale(0);
    await poll(async () => (await this.pods()).length === 0, {
      subject: 'the backend pods to be gone',
      timeoutMs: 60_000,
      intervalMs: 100,
    });
  }

  async restart(): Promise<void> {
    await this.scale(this.replicas);
    await this.waitRolledOut();
  }

  async deploy(version: string): Promise<void> {
    const d = await this.read();
    const c = d.spec?.template.spec?.containers[0];
    if (!c) throw new EstateError('deployment backend has no container');
    c.image = `${this.imageRepo}:${version}`;
    await this.api.apps.replaceNamespacedDeployment({ name: 'backend', namespace: this.namespace, body: d });
    await this.waitRolledOut();
    this.current = version;
  }

  /** What `kubectl rollout status` waits for: every replica updated, available, and the old ones gone. */
  async waitRolledOut(): Promise<void> {
    await poll(
      async () => {
        const d = await this.read();
        const s = d.status;
        const want = d.spec?.replicas ?? 1;
        return (
          (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
          s?.updatedReplicas === want &&
          s.availableReplicas === want &&
          (s.replicas ?? 0) === want &&
          (await this.pods()).filter(podReady).length >= want
        );
      },
      { subject: 'deployment backend to roll out', timeoutMs: this.startTimeoutMs, intervalMs: 100 },
    );
  }
}
