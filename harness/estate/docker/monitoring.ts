/**
 * The monitoring of a docker estate, as containers of the monitoring image on the estate's own network, with the
 * run's labels: Prometheus (the rules under test, scaled), Alertmanager (the routing under test, pointed at the
 * drill's receivers), postgres_exporter, redis_exporter and node_exporter. Prometheus scrapes the app, the
 * exporters and itself by their network aliases; the harness reads Prometheus and Alertmanager through ports
 * published on 127.0.0.1. The drill's SMTP and webhook receivers run in the harness and listen on the gateway
 * of the estate's network, the one address of this machine the estate's containers reach.
 *
 * The database's size-limited volume is a Docker volume of the tmpfs kind with a fixed size (made by
 * `provisionDocker`), mounted in the primary's container, where the database's account fills it, and in
 * node_exporter's, which reports its free space.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import axios from 'axios';
import type Dockerode from 'dockerode';
import type { TeardownStack } from '../../core/teardown.ts';
import { EstateError } from '../../core/errors.ts';
import { freePorts } from '../host/ports.ts';
import {
  prometheusConfig,
  scaleDuration,
  UNSCALED_RESEND_DELAY,
  type MonitoringSettings,
} from '../monitoring/config.ts';
import { drillMonitoringFiles } from '../monitoring/drill-files.ts';
import type { MonitoringRole } from '../types.ts';
import { DockerService, type ContainerSpec } from './container.ts';
import { LABEL_ROLE } from './engine.ts';

/** The database's volume: small, so that a drill can fill it (as on the local backend). */
export const DB_VOLUME_BYTES = 64 * 1024 * 1024;
/** Where the database's volume is mounted, in the primary's container and in node_exporter's. */
export const DB_VOLUME_PATH = '/var/lib/postgresql/drill-volume';
/** Where the generated configuration is copied in the monitoring containers. */
const CONF = '/etc/drill';

/** Container ports of the monitoring (the packages' defaults). */
const PORT = { prometheus: 9090, alertmanager: 9093, node: 9100, postgres: 9187, redis: 9121 };

export interface DockerMonitoringSpec {
  d: Dockerode;
  runDir: string;
  network: string;
  /** The container name for a role (`<network>-<role>`). */
  nameOf(role: string): string;
  labels: Record<string, string>;
  image: string;
  settings: MonitoringSettings;
  teardown: TeardownStack;
  /** Teardown group of the estate's containers: the monitoring is removed at once with them. */
  teardownGroup: { group: string };
  startTimeoutMs: number;
  /** The app as the estate's network names it (`app:3000`), and its stable instance label. */
  appTarget: string;
  appInstance: string;
  /** postgres_exporter's connection string, with addresses of the estate's network. */
  postgresDsn: string;
  /** Redis as the estate's network names it (`redis:6379`), when the estate has one. */
  redisTarget?: string;
  /** The database's size-limited volume (a Docker volume), mounted in node_exporter. */
  dbVolume?: string;
  env?: NodeJS.ProcessEnv;
}

export interface DockerMonitoring {
  role: Omit<MonitoringRole, 'dbVolume'>;
  pids(): number[];
  ports: number[];
}

/** The gateway address of a Docker network: this machine, as the network's containers reach it. */
export async function networkGateway(d: Dockerode, network: string): Promise<string> {
  const info = (await d.getNetwork(network).inspect()) as {
    IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] };
  };
  const gw = info.IPAM?.Config?.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
  if (!gw) throw new EstateError(`network ${network} has no IPv4 gateway for the alert receivers`);
  return gw;
}

export async function startDockerMonitoring(spec: DockerMonitoringSpec): Promise<DockerMonitoring> {
  const { settings, teardown } = spec;
  const env = spec.env ?? process.env;
  const dir = join(spec.runDir, 'monitoring');
  mkdirSync(dir, { recursive: true });
  const [promPort, amPort, nodePort, pgExpPort, redisExpPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];

  // Receivers first, on the network's gateway: the Alertmanager copy needs their address and ports.
  const gateway = await networkGateway(spec.d, spec.network);
  const { rulesCopy, amCopy, roleBase } = await drillMonitoringFiles({
    settings,
    dir,
    env,
    teardown,
    teardownGroup: spec.teardownGroup,
    ports: { smtp: 0, webhook: 0 },
    host: gateway,
  });
  const scale = settings.scale;
  const promConfig = join(dir, 'prometheus.yml');
  writeFileSync(
    promConfig,
    prometheusConfig(
      {
        app: spec.appTarget,
        node: `node-exporter:${PORT.node}`,
        postgres: `postgres-exporter:${PORT.postgres}`,
        ...(spec.redisTarget ? { redis: `redis-exporter:${PORT.redis}` } : {}),
        alertmanager: `alertmanager:${PORT.alertmanager}`,
        appInstance: spec.appInstance,
        estateMounts: [DB_VOLUME_PATH],
      },
      `${CONF}/rules.scaled.yml`,
      scale,
    ),
  );

  const services: DockerService[] = [];
  const start = async (
    role: string,
    port: { container: number; host: number },
    readyPath: string,
    extra: Partial<ContainerSpec>,
  ) => {
    const readyUrl = `http://127.0.0.1:${port.host}${readyPath}`;
    const svc = new DockerService({
      role,
      name: spec.nameOf(role),
      image: spec.image,
      network: spec.network,
      alias: role,
      labels: { ...spec.labels, [LABEL_ROLE]: role },
      ports: [port],
      user: 'nobody',
      startTimeoutMs: spec.startTimeoutMs,
      ready: () =>
        axios
          .get(readyUrl, { timeout: 1000, validateStatus: () => true })
          .then((r) => r.status === 200)
          .catch(() => false),
      readySubject: `${readyUrl} answers 200`,
      ...extra,
    });
    services.push(svc);
    teardown.push(`remove container ${svc.spec.name}`, () => svc.remove(), 20_000, spec.teardownGroup);
    await svc.create();
  };

  await Promise.all([
    start('node-exporter', { container: PORT.node, host: nodePort }, '/metrics', {
      entrypoint: ['prometheus-node-exporter'],
      cmd: [
        `--web.listen-address=:${PORT.node}`,
        '--collector.disable-defaults',
        '--collector.filesystem',
        '--collector.loadavg',
        '--collector.meminfo',
      ],
      // Mounted writable: the rule leaves read-only filesystems out (node_filesystem_readonly), and node_exporter
      // runs as nobody, which cannot write to the database account's 0700 volume anyway.
      ...(spec.dbVolume ? { volumes: [{ name: spec.dbVolume, target: DB_VOLUME_PATH }] } : {}),
    }),
    start('postgres-exporter', { container: PORT.postgres, host: pgExpPort }, '/metrics', {
      entrypoint: ['prometheus-postgres-exporter'],
      cmd: [`--web.listen-address=:${PORT.postgres}`],
      env: { DATA_SOURCE_NAME: spec.postgresDsn },
    }),
    ...(spec.redisTarget
      ? [
          start('redis-exporter', { container: PORT.redis, host: redisExpPort }, '/metrics', {
            entrypoint: ['prometheus-redis-exporter'],
            cmd: [`-redis.addr=redis://${spec.redisTarget}`, `-web.listen-address=:${PORT.redis}`],
          }),
        ]
      : []),
    start('alertmanager', { container: PORT.alertmanager, host: amPort }, '/-/ready', {
      entrypoint: ['prometheus-alertmanager'],
      cmd: [
        `--config.file=${CONF}/alertmanager.drill.yml`,
        '--storage.path=/tmp/alertmanager',
        `--web.listen-address=:${PORT.alertmanager}`,
        // No cluster: a single Alertmanager, nothing to gossip with.
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      files: [{ source: amCopy, target: `${CONF}/alertmanager.drill.yml` }],
    }),
  ]);
  await start('prometheus', { container: PORT.prometheus, host: promPort }, '/-/ready', {
    entrypoint: ['prometheus'],
    cmd: [
      `--config.file=${CONF}/prometheus.yml`,
      '--storage.tsdb.path=/tmp/prometheus',
      `--web.listen-address=:${PORT.prometheus}`,
      `--rules.alert.resend-delay=${scaleDuration(UNSCALED_RESEND_DELAY, scale)}`,
      '--log.level=warn',
    ],
    files: [
      { source: promConfig, target: `${CONF}/prometheus.yml` },
      { source: rulesCopy, target: `${CONF}/rules.scaled.yml` },
    ],
  });

  const role: Omit<MonitoringRole, 'dbVolume'> = {
    prometheusUrl: `http://127.0.0.1:${promPort}`,
    alertmanagerUrl: `http://127.0.0.1:${amPort}`,
    ...roleBase,
    // Each program as a role a fault or a checklist break can stop (alertmanager-down).
    processes: Object.fromEntries(services.map((svc) => [svc.spec.role, svc])),
  };
  return {
    role,
    pids: () => services.flatMap((s) => s.pids),
    ports: [
      promPort,
      amPort,
      nodePort,
      pgExpPort,
      ...(spec.redisTarget ? [redisExpPort] : []),
      // Not the receivers' ports: they listen on the network's gateway, not on 127.0.0.1, where the leak check
      // looks (and where another program may hold the same port number); their teardown closes them.
    ],
  };
}

/**
 * The database's size-limited volume as the fault sees it: filled and cleared from inside the primary's
 * container, as the database's account (the volume is not a path of this machine).
 */
export function containerVolume(
  exec: (cmd: string[], user?: string) => Promise<{ exitCode: number; output: string }>,
  path = DB_VOLUME_PATH,
  sizeBytes = DB_VOLUME_BYTES,
): NonNullable<MonitoringRole['dbVolume']> {
  const file = `${path}/ballast.fill`;
  const sh = async (script: string) => {
    const r = await exec(['sh', '-c', script], 'postgres');
    if (r.exitCode !== 0) throw new EstateError(`${script}: exit ${r.exitCode}: ${r.output.trim()}`);
    return r.output;
  };
  return {
    path,
    sizeBytes,
    async fill(fraction: number) {
      // Fundamental block size, total and free blocks of the volume, as statfs(2) reports them.
      const [bsize, blocks, bfree] = (await sh(`stat -f -c '%S %b %f' ${path}`))
        .trim()
        .split(/\s+/)
        .map(Number);
      if (!bsize || blocks === undefined || bfree === undefined)
        throw new EstateError(`cannot read the size of the database volume ${path}`);
      const used = (blocks - bfree) * bsize;
      const bytes = Math.max(0, Math.floor(sizeBytes * fraction) - used);
      await sh(`head -c ${bytes} /dev/zero > ${file}`);
    },
    async clear() {
      await sh(`rm -f ${file}`);
    },
  };
}
