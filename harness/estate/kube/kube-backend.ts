import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { appEnv as appEnvOf } from '../../config/system.ts';
import { EstateError, UsageError } from '../../core/errors.ts';
import { poll } from '../../core/poll.ts';
import { labels as runLabels, LABEL_RUN_ID } from '../../core/session.ts';
import { assembleEstate } from '../assemble.ts';
import type { ProvisionContext } from '../backend.ts';
import {
  imagePostgresUser,
  PG_ARCHIVE,
  PG_BACKUPS,
  PG_CONTAINER_PATH,
  PG_DATA,
  PG_ENTRYPOINT,
} from '../docker/postgres.ts';
import { dockerImages } from '../docker/checks.ts';
import { appImage } from '../docker/images.ts';
import { freePorts } from '../host/ports.ts';
import { createRunDir, removeRunDirAsync } from '../host/run-dir.ts';
import { NodeService } from '../local/node-service.ts';
import {
  APP_DATABASE,
  ensureAppDatabase,
  followPrimary,
  primarySettings,
  replicationName,
  replicationRoute,
  STANDBY_ROLE,
  standbySettings,
  SUPERUSER,
  confLines,
} from '../postgres-config.ts';
import { RouterClient } from '../router/client.ts';
import { shellEnv } from '../shell-env.ts';
import type { Estate, RouterRole, Topology } from '../types.ts';
import { kubeApi, notFound, waitNamespaceGone, type KubeApi } from './api.ts';
import type { Cluster } from './cluster.ts';
import { EndpointProxy } from './endpoint-proxy.ts';
import { podSite } from './exec-site.ts';
import { writeContextRecord } from './context.ts';
import { chooseClusterSource, sourceFactsHere, startCluster } from './sources.ts';
import { KubeApp, KubePostgres, KubeRedis } from './roles.ts';

/** Replicas of the app's Deployment. */
export const APP_REPLICAS = 2;
/** The label every object of a kube estate carries, besides the run labels (the Deployment's selector uses it). */
export const LABEL_ROLE = 'drillbook.role';

/** The namespace of one drill of a run: lower case, at most 63 characters. */
export function namespaceFor(runId: string, drillId: string): string {
  let name = `drillbook-${runId}-${drillId}`.toLowerCase().slice(0, 63);
  while (name.endsWith('-')) name = name.slice(0, -1);
  return name;
}

/**
 * Provision the estate on Kubernetes: a cluster (the offline one from the machine's cache), a namespace of this
 * drill labelled with the run id, Postgres primary (+ standby) and Redis as pods on the node's network at ports
 * of this run, the router on the host where the pods reach it, and the app as the Deployment `backend`
 * (APP_REPLICAS replicas of the release image, `imagePullPolicy: Never`) behind the Service `backend`, whose
 * ready endpoints the router's app route leads to. Each part registers its undo the moment it exists.
 */
export async function provisionKube(topology: Topology, ctx: ProvisionContext): Promise<Estate> {
  // The system under test's app, as its config describes it for containers (the release images are the
  // docker backend's), and the path its pods' readiness probe asks.
  const system = ctx.system;
  const appSpec = system.docker;
  if (!appSpec)
    throw new UsageError(
      `${system.configFile}: system.docker: required to run ${system.name} on the kube backend (its image, port and environment)`,
    );
  const appPort = appSpec.port;
  const readinessPath = system.kube?.readinessPath ?? system.health.path;
  const images = await dockerImages();
  const labels = runLabels(ctx.runId, ctx.drillId);
  // The run directory registers the run: from here on, every process this harness spawns (the cluster's etcd,
  // apiserver, controller manager, scheduler, kubelet, node engine) is recorded for `drill cleanup`.
  const runDir = createRunDir(ctx.runId, ctx.drillId);
  ctx.teardown.push(`remove run directory ${runDir}`, () => removeRunDirAsync(runDir));

  const choice = chooseClusterSource(await sourceFactsHere(process.env, ctx.options?.kubeContext));
  ctx.note?.(`cluster source: ${choice.source} (${choice.why})`);
  const tCluster = performance.now();
  const cluster: Cluster = await startCluster(
    { ...choice, context: ctx.options?.kubeContext },
    {
      runId: ctx.runId,
      drillId: ctx.drillId,
      runDir,
      env: process.env,
      startTimeoutMs: Math.max(ctx.startTimeoutMs, 60_000),
    },
  );
  ctx.teardown.push(
    cluster.source === 'existing'
      ? `leave context ${cluster.context ?? ''} as it was (only the namespace of the run is deleted)`
      : `stop the ${cluster.source} cluster${cluster.source === 'offline' ? ' and restore the host' : ''}`,
    async () => {
      for (const line of await cluster.stop()) ctx.note?.(line);
    },
    90_000,
  );
  ctx.note?.(
    `${cluster.source} cluster up in ${((performance.now() - tCluster) / 1000).toFixed(1)} s (${Object.entries(
      cluster.timings,
    )
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ')})`,
  );
  const wanted = [
    ...Object.keys(system.releases).map((v) => appImage(images, v)),
    images.postgres,
    ...(topology.redis ? [images.redis] : []),
  ];
  const tLoad = performance.now();
  const loaded = await cluster.loadImages([...new Set([...wanted, appImage(images, topology.app.version)])]);
  if (loaded.length)
    ctx.note?.(
      `loaded ${loaded.join(', ')} into the node in ${((performance.now() - tLoad) / 1000).toFixed(1)} s`,
    );

  const api = await kubeApi(cluster.kubeconfig, cluster.context);
  const namespace = namespaceFor(ctx.runId, ctx.drillId);
  // In a cluster drillbook did not create, what it may touch is one namespace it creates now: the record lets
  // `drill cleanup` find it by label if this run is killed.
  const forget =
    cluster.source === 'existing'
      ? writeContextRecord({
          runId: ctx.runId,
          drillId: ctx.drillId,
          kubeconfig: ctx.options?.kubeconfigFile ?? '',
          context: cluster.context ?? '',
          namespace,
        })
      : () => undefined;
  try {
    await api.core.createNamespace({ body: { metadata: { name: namespace, labels } } });
  } catch (e) {
    if ((e as { code?: number }).code === 409) {
      forget();
      throw new EstateError(
        `namespace ${namespace} already exists in the cluster: drillbook works only in a namespace it creates`,
      );
    }
    throw e;
  }
  // The record goes only once the namespace is gone: a failed deletion stays a leak `drill cleanup` can find.
  ctx.teardown.push(
    `delete namespace ${namespace}`,
    async () => {
      await deleteNamespace(api, namespace, ctx.runId, cluster.source === 'offline', ctx.note);
      forget();
    },
    150_000,
  );

  const host = cluster.hostAddress;
  // Where the database pods listen (their node's host network) and where everything on this machine reaches
  // them: the harness, the router's routes, runbook blocks on the host and in the pods.
  const node = cluster.nodeAddress;
  ctx.note?.(`database pods on node ${cluster.dbNode}, reached at ${node}`);
  const archiveDir = join(runDir, 'wal-archive');
  const backupDir = join(runDir, 'backups');
  const pgUser = await imagePostgresUser(images.postgres, labels);
  for (const dir of [archiveDir, backupDir, join(runDir, 'postgres-primary'), join(runDir, STANDBY_ROLE)]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.getuid?.() === 0) chownSync(dir, pgUser.uid, pgUser.gid);
    else chmodSync(dir, 0o777);
  }

  const [
    pgPrimaryPort,
    pgStandbyPort,
    redisPort,
    adminPort,
    routerAppPort,
    routerDbPort,
    routerReplPort,
    routerRedisPort,
  ] = (await freePorts(8)) as [number, number, number, number, number, number, number, number];
  const password = randomBytes(18).toString('base64url');
  const creds = { user: SUPERUSER, password, database: APP_DATABASE };
  const start = Math.max(ctx.startTimeoutMs, 60_000);

  const pgPod = (role: string, port: number, standby: boolean) => (): V1Pod => ({
    metadata: { name: role, labels: { ...labels, [LABEL_ROLE]: role } },
    spec: {
      ...podBasics(),
      ...onNode(cluster.dbNode),
      hostNetwork: true,
      restartPolicy: 'Never',
      securityContext: { runAsUser: pgUser.uid, runAsGroup: pgUser.gid },
      containers: [
        {
          name: 'postgres',
          image: images.postgres,
          imagePullPolicy: 'Never',
          command: ['bash', '-c', STANDBY_ENTRYPOINT],
          env: Object.entries({
            PG_ROLE: standby ? 'standby' : 'primary',
            PG_SUPERUSER: SUPERUSER,
            PG_PASSWORD: password,
            LANG: 'C',
            PG_CONF: confLines(
              standby
                ? {
                    ...primarySettings(PG_ARCHIVE, pgListen(node, port)),
                    ...standbySettings({ host, port: routerReplPort }, password),
                  }
                : primarySettings(PG_ARCHIVE, pgListen(node, port)),
            ),
            ...(standby
              ? {
                  PG_UPSTREAM: host,
                  PG_UPSTREAM_PORT: String(routerReplPort),
                  PG_SLOT: replicationName(STANDBY_ROLE),
                }
              : {}),
          }).map(([name, value]) => ({ name, value })),
          readinessProbe: {
            exec: { command: ['pg_isready', '-q', '-h', node, '-p', String(port)] },
            periodSeconds: 1,
          },
          volumeMounts: [
            { name: 'data', mountPath: PG_DATA },
            { name: 'archive', mountPath: PG_ARCHIVE },
            { name: 'backups', mountPath: PG_BACKUPS },
          ],
        },
      ],
      volumes: [
        { name: 'data', hostPath: { path: join(runDir, role), type: 'Directory' } },
        { name: 'archive', hostPath: { path: archiveDir, type: 'Directory' } },
        { name: 'backups', hostPath: { path: backupDir, type: 'Directory' } },
      ],
    },
  });

  const primary = new KubePostgres(
    'postgres-primary',
    api,
    namespace,
    cluster,
    pgPod('postgres-primary', pgPrimaryPort, false),
    start,
    pgPrimaryPort,
    PG_DATA,
    creds,
    node,
  );
  await primary.create();
  await ensureAppDatabase(primary);
  ctx.note?.(`postgres-primary up in pod ${namespace}/postgres-primary (${node}:${pgPrimaryPort})`);

  const redis = topology.redis
    ? new KubeRedis(
        api,
        namespace,
        cluster,
        () => ({
          metadata: { name: 'redis', labels: { ...labels, [LABEL_ROLE]: 'redis' } },
          spec: {
            ...podBasics(),
            ...onNode(cluster.dbNode),
            hostNetwork: true,
            restartPolicy: 'Never',
            securityContext: { runAsUser: 65534, runAsGroup: 65534 },
            containers: [
              {
                name: 'redis',
                image: images.redis,
                imagePullPolicy: 'Never',
                command: [
                  'redis-server',
                  '--bind',
                  node,
                  '--port',
                  String(redisPort),
                  '--save',
                  '',
                  '--appendonly',
                  'no',
                  '--dir',
                  '/tmp',
                ],
                readinessProbe: { tcpSocket: { host: node, port: redisPort }, periodSeconds: 1 },
              },
            ],
          },
        }),
        start,
        redisPort,
        node,
      )
    : undefined;
  if (redis) {
    await redis.create();
    ctx.note?.(`redis up in pod ${namespace}/redis (${node}:${redisPort})`);
  }

  // The app's Service, followed on the host; the router's app route leads to it.
  const proxy = new EndpointProxy(api.kc, namespace, 'backend', appPort);
  await proxy.start('127.0.0.1');
  ctx.teardown.push('stop the endpoint proxy of service backend', () => proxy.stop());

  const routerService = new NodeService({
    name: 'router',
    entry: 'harness/estate/router/main.ts',
    env: {
      ROUTER_CONFIG: JSON.stringify({
        host,
        adminPort,
        routes: [
          { name: 'app', listen: routerAppPort, target: `127.0.0.1:${proxy.port}` },
          { name: 'db', listen: routerDbPort, target: `${node}:${pgPrimaryPort}` },
          ...(topology.postgres.standby
            ? [replicationRoute(routerReplPort, `${node}:${pgPrimaryPort}`)]
            : []),
          ...(redis ? [{ name: 'redis', listen: routerRedisPort, target: `${node}:${redisPort}` }] : []),
        ],
      }),
    },
    runDir,
    runId: ctx.runId,
    drillId: ctx.drillId,
    healthUrl: `http://${host}:${adminPort}/health`,
    startTimeoutMs: ctx.startTimeoutMs,
  });
  ctx.teardown.push(`stop router (${host}, admin ${adminPort})`, () => routerService.proc.stop());
  await routerService.start();
  const router: RouterRole = {
    name: 'router',
    get pid() {
      return routerService.proc.pid;
    },
    running: () => routerService.proc.running(),
    signal: (sig) => routerService.proc.signal(sig),
    stop: () => routerService.stop(),
    restart: () => routerService.start(),
    client: new RouterClient(`http://${host}:${adminPort}`),
    listenPort: (route) => (route === 'app' ? routerAppPort : routerDbPort),
  };

  let standby: KubePostgres | undefined;
  if (topology.postgres.standby) {
    standby = new KubePostgres(
      STANDBY_ROLE,
      api,
      namespace,
      cluster,
      pgPod(STANDBY_ROLE, pgStandbyPort, true),
      start,
      pgStandbyPort,
      PG_DATA,
      creds,
      node,
    );
    await standby.create();
    await followPrimary(primary, topology.postgres.replication, ctx.startTimeoutMs);
    ctx.note?.(
      `postgres-standby streaming (${topology.postgres.replication}) in pod ${namespace}/${STANDBY_ROLE}`,
    );
  }

  // The app: a Secret with its configuration (the system's environment template, filled with this estate's
  // addresses), the Deployment, and the Service whose endpoints carry traffic. A release is the image's tag and
  // carries its own behaviour: the pods get the app's environment only (a release's variables in the Secret
  // would pin every later tag the runbook sets to this one's).
  const appEnv = appEnvOf({ ...system, releases: { [topology.app.version]: { env: {} } } }, appSpec.env, {
    databaseUrl: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@${host}:${routerDbPort}/${APP_DATABASE}`,
    ...(redis ? { redisUrl: `redis://${host}:${routerRedisPort}` } : {}),
    port: appPort,
    version: topology.app.version,
    dbHost: host,
    dbPort: routerDbPort,
    dbUser: SUPERUSER,
    dbPassword: password,
    dbName: APP_DATABASE,
  });
  await api.core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'backend-env', labels }, stringData: appEnv },
  });
  const appLabels = { ...labels, app: 'backend', [LABEL_ROLE]: 'app' };
  await api.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'backend', labels: appLabels },
      spec: {
        replicas: APP_REPLICAS,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { app: 'backend', [LABEL_RUN_ID]: ctx.runId } },
        // A new pod must be ready before an old one goes: a release that never gets ready costs no capacity.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels: appLabels },
          spec: {
            ...podBasics(),
            containers: [
              {
                name: 'backend',
                image: appImage(images, topology.app.version),
                imagePullPolicy: 'Never',
                ports: [{ containerPort: appPort }],
                envFrom: [{ secretRef: { name: 'backend-env' } }],
                // Ready means able to serve what clients ask for: the system's readiness path on Kubernetes
                // (`system.kube.readinessPath`, else its health path).
                readinessProbe: {
                  httpGet: { path: readinessPath, port: appPort },
                  periodSeconds: 1,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
              },
            ],
          },
        },
      },
    },
  });
  await api.core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: 'backend', labels: appLabels },
      spec: {
        selector: { app: 'backend', [LABEL_RUN_ID]: ctx.runId },
        ports: [{ port: appPort, targetPort: appPort }],
      },
    },
  });
  const app = new KubeApp(
    api,
    namespace,
    cluster,
    proxy,
    images.app,
    APP_REPLICAS,
    topology.app.version,
    start,
  );
  await app.waitRolledOut();
  // Traffic goes where the Service's endpoints say: wait until they list every replica.
  await poll(() => proxy.ready().length >= APP_REPLICAS, {
    subject: `the endpoints of service backend to list ${APP_REPLICAS} ready pods`,
    timeoutMs: start,
    intervalMs: 50,
  });
  ctx.note?.(
    `deployment backend: ${APP_REPLICAS} pods of ${appImage(images, topology.app.version)} ready behind the router on ${host}:${routerAppPort}`,
  );

  const conn = primary.connection();
  const kubeEnv = {
    KUBECONFIG: cluster.kubeconfig,
    NAMESPACE: namespace,
    APP_IMAGE: images.app,
    PRIMARY_POD: 'postgres-primary',
    ...(standby ? { STANDBY_POD: STANDBY_ROLE } : {}),
  };
  return assembleEstate({
    backend: 'kube',
    runDir,
    toolDirs: system.tools,
    postgres: standby ? { primary, standby } : { primary },
    ...(redis ? { redis } : {}),
    app,
    router,
    endpoints: { app: `http://${host}:${routerAppPort}`, db: { ...conn, host, port: routerDbPort } },
    backups: { archiveDir, backupDir },
    newSpare() {
      return Promise.reject(new EstateError('the kube backend offers no spare servers'));
    },
    // as=postgres blocks run in the primary's pod, as its account (`kubectl exec`); it is on the node's
    // network, where the servers listen at the node's address.
    databaseSite: () =>
      podSite(
        {
          kubeconfig: cluster.kubeconfig,
          namespace,
          pod: 'postgres-primary',
          container: 'postgres',
          envDir: backupDir,
          envDirInPod: PG_BACKUPS,
        },
        shellEnv({
          path: PG_CONTAINER_PATH,
          home: PG_BACKUPS,
          endpoint: { host, port: routerDbPort },
          primary: { host: node, port: pgPrimaryPort },
          ...(standby ? { standby: { host: node, port: pgStandbyPort } } : {}),
          ...(redis ? { redis: { host: node, port: redisPort } } : {}),
          appUrl: `http://${host}:${routerAppPort}`,
          backupDir: PG_BACKUPS,
          archiveDir: PG_ARCHIVE,
          credentials: { user: conn.user, database: conn.database, password: conn.password },
        }),
      ),
    hostEnv: kubeEnv,
    pids: () => [...cluster.pids, ...routerService.pids],
    ports: [proxy.port],
    nodePorts: [pgPrimaryPort, ...(standby ? [pgStandbyPort] : []), ...(redis ? [redisPort] : [])].map(
      (port) => ({ host: node, port }),
    ),
    async identity() {
      const appVersion = await app.runningVersion();
      return {
        appVersion,
        images: {
          postgres: images.postgres,
          ...(redis ? { redis: images.redis } : {}),
          app: appImage(images, appVersion),
        },
      };
    },
  });
}

/** What every pod of the estate shares: no service account token, no service links, a short grace. */
function podBasics(): {
  automountServiceAccountToken: false;
  enableServiceLinks: false;
  terminationGracePeriodSeconds: number;
} {
  return { automountServiceAccountToken: false, enableServiceLinks: false, terminationGracePeriodSeconds: 5 };
}

function pgListen(address: string, port: number): Record<string, string> {
  return { listen_addresses: address, port: String(port), unix_socket_directories: '' };
}

/**
 * Pin a database pod to the node whose network and directories the estate uses (by the node's name, through
 * the scheduler), tolerating a control plane's taint (a kind cluster of one node).
 */
export function onNode(name: string): Pick<V1PodSpec, 'affinity' | 'tolerations'> {
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }],
        },
      },
    },
    tolerations: ['node-role.kubernetes.io/master', 'node-role.kubernetes.io/control-plane'].map((key) => ({
      key,
      operator: 'Exists',
      effect: 'NoSchedule',
    })),
  };
}

/**
 * The docker backend's Postgres program: the standby's base backup is taken through the router's replication
 * route, whose port (this run's) the pod gets as `PG_UPSTREAM_PORT`.
 */
const STANDBY_ENTRYPOINT = PG_ENTRYPOINT;

/**
 * Delete the namespace with everything in it: its pods at once (no grace: the estate is being thrown away),
 * then the namespace itself. Waits until no pod of it is left (kubelet has stopped their containers); the
 * namespace's own finalization goes on in the cluster, and with the offline cluster its etcd goes next anyway.
 */
async function deleteNamespace(
  api: KubeApi,
  name: string,
  runId: string,
  offline: boolean,
  note?: (line: string) => void,
): Promise<void> {
  try {
    const ns = await api.core.readNamespace({ name });
    // Only the namespace this run created and labelled: anything else is not drillbook's to delete.
    if (ns.metadata?.labels?.[LABEL_RUN_ID] !== runId)
      throw new EstateError(`namespace ${name} does not carry ${LABEL_RUN_ID}=${runId}: left alone`);
    await api.core.deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 });
    await api.core.deleteNamespace({ name, gracePeriodSeconds: 0 });
  } catch (e) {
    if (notFound(e)) return;
    throw e;
  }
  await poll(
    async () => {
      try {
        return (await api.core.listNamespacedPod({ namespace: name })).items.length === 0;
      } catch (e) {
        if (notFound(e)) return true;
        throw e;
      }
    },
    {
      subject: `the pods of namespace ${name} to be gone`,
      timeoutMs: offline ? 30_000 : 60_000,
      intervalMs: 200,
    },
  ).catch((e: unknown) => {
    // On the offline cluster, stopping the node next removes every container it still has: a slow kubelet is
    // not a leak. (The leak check after teardown still finds any process left.)
    if (!offline) throw e;
    note?.(`namespace ${name}: pods not gone after 30 s; the node's stop removes their containers`);
  });
  // A cluster that outlives the run keeps no trace of it: wait until the namespace itself is gone.
  if (!offline) await waitNamespaceGone(api, name, 60_000);
}
