/**
 * The monitoring of a local estate, as processes on 127.0.0.1 from Debian's packages: Prometheus (the rules
 * under test, scaled), Alertmanager (the routing under test, pointed at the drill's own receivers),
 * postgres_exporter, redis_exporter and node_exporter, each with its data and log in the run directory; plus the
 * drill's SMTP and webhook receivers, and (as root) the database's size-limited volume, a tmpfs.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import axios from 'axios';
import type { TeardownStack } from '../../core/teardown.ts';
import { freePorts } from '../host/ports.ts';
import {
  prometheusConfig,
  scaleDuration,
  UNSCALED_RESEND_DELAY,
  type MonitoringSettings,
} from '../monitoring/config.ts';
import { MONITORING_BINARIES, monitoringBinary } from '../monitoring/binaries.ts';
import { drillMonitoringFiles } from '../monitoring/drill-files.ts';
import type { MonitoringRole, ProcessRole } from '../types.ts';
import { LocalProcess } from './process.ts';

/** The database's volume: small, so that a drill can fill it. */
export const DB_VOLUME_BYTES = 64 * 1024 * 1024;

export interface LocalMonitoringSpec {
  runDir: string;
  runId: string;
  /** The drill of the run: each monitoring process carries it beside the run id (DRILL_DRILL_ID). */
  drillId?: string;
  settings: MonitoringSettings;
  teardown: TeardownStack;
  /**
   * The estate's parallel teardown group: the monitoring processes, the receivers and the volume depend on none
   * of the estate's servers, so they are stopped together with them.
   */
  teardownGroup?: { group: string };
  startTimeoutMs: number;
  /** The app's own port (scraped directly, named by a stable instance label). */
  appPort: number;
  appInstance: string;
  /** postgres_exporter's connection string (through the clients' database endpoint). */
  postgresDsn: string;
  redisPort?: number;
  /** The database's OS account, owner of the volume. */
  dbUser?: { uid: number; gid: number };
  env?: NodeJS.ProcessEnv;
}

export interface LocalMonitoring {
  role: MonitoringRole;
  pids(): number[];
  ports: number[];
}

export async function startLocalMonitoring(spec: LocalMonitoringSpec): Promise<LocalMonitoring> {
  const { runDir, settings, teardown } = spec;
  const group = spec.teardownGroup ?? {};
  const env = spec.env ?? process.env;
  const dir = join(runDir, 'monitoring');
  mkdirSync(dir, { recursive: true });
  const [promPort, amPort, nodePort, pgExpPort, redisExpPort, smtpFree, hookFree] = (await freePorts(7)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];

  // The database's size-limited volume: a tmpfs of fixed size, which only root can mount.
  let dbVolume: MonitoringRole['dbVolume'];
  if (process.getuid?.() === 0) {
    const path = join(runDir, 'db-volume');
    mkdirSync(path, { recursive: true });
    execFileSync('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=${DB_VOLUME_BYTES},mode=0700`,
      'drillbook-db-volume',
      path,
    ]);
    teardown.push(
      `unmount the database volume ${path}`,
      () => {
        execFileSync('umount', ['-l', path]);
      },
      undefined,
      group,
    );
    if (spec.dbUser) chownSync(path, spec.dbUser.uid, spec.dbUser.gid);
    dbVolume = { path, sizeBytes: DB_VOLUME_BYTES, ...(spec.dbUser ? { owner: spec.dbUser } : {}) };
  }

  const { receivers, rulesCopy, amCopy, roleBase } = await drillMonitoringFiles({
    settings,
    dir,
    env,
    teardown,
    teardownGroup: spec.teardownGroup,
    ports: { smtp: smtpFree, webhook: hookFree },
  });
  const scale = settings.scale;
  const promConfig = join(dir, 'prometheus.yml');
  writeFileSync(
    promConfig,
    prometheusConfig(
      {
        app: `127.0.0.1:${spec.appPort}`,
        node: `127.0.0.1:${nodePort}`,
        postgres: `127.0.0.1:${pgExpPort}`,
        ...(spec.redisPort ? { redis: `127.0.0.1:${redisExpPort}` } : {}),
        alertmanager: `127.0.0.1:${amPort}`,
        appInstance: spec.appInstance,
        estateMounts: [runDir],
      },
      rulesCopy,
      scale,
    ),
  );

  const procs: LocalProcess[] = [];
  const processes: Record<string, ProcessRole> = {};
  const start = async (
    name: keyof typeof MONITORING_BINARIES,
    args: string[],
    readyUrl: string,
    extraEnv = {},
  ) => {
    const proc = new LocalProcess({
      name,
      file: monitoringBinary(name, env),
      args,
      env: { PATH: env.PATH, ...extraEnv },
      logFile: join(dir, `${name}.log`),
      runId: spec.runId,
      ...(spec.drillId ? { drillId: spec.drillId } : {}),
      cwd: dir,
    });
    procs.push(proc);
    teardown.push(`stop ${name}`, () => proc.stop(), undefined, group);
    const startReady = () =>
      proc.startUntil(
        () =>
          axios
            .get(readyUrl, { timeout: 1000, validateStatus: () => true })
            .then((r) => r.status === 200)
            .catch(() => false),
        `${name} to answer on ${readyUrl}`,
        spec.startTimeoutMs,
      );
    processes[name] = {
      name,
      get pid() {
        return proc.pid;
      },
      running: () => proc.running(),
      signal: (sig) => proc.signal(sig),
      stop: () => proc.stop(),
      restart: startReady,
    };
    await startReady();
  };

  await Promise.all([
    start(
      'node-exporter',
      [
        `--web.listen-address=127.0.0.1:${nodePort}`,
        '--collector.disable-defaults',
        '--collector.filesystem',
        '--collector.loadavg',
        '--collector.meminfo',
      ],
      `http://127.0.0.1:${nodePort}/metrics`,
    ),
    start(
      'postgres-exporter',
      [`--web.listen-address=127.0.0.1:${pgExpPort}`],
      `http://127.0.0.1:${pgExpPort}/metrics`,
      { DATA_SOURCE_NAME: spec.postgresDsn },
    ),
    ...(spec.redisPort
      ? [
          start(
            'redis-exporter',
            [
              `-redis.addr=redis://127.0.0.1:${spec.redisPort}`,
              `-web.listen-address=127.0.0.1:${redisExpPort}`,
            ],
            `http://127.0.0.1:${redisExpPort}/metrics`,
          ),
        ]
      : []),
    start(
      'alertmanager',
      [
        `--config.file=${amCopy}`,
        `--storage.path=${join(dir, 'alertmanager-data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        // No cluster: it would listen on every interface.
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      `http://127.0.0.1:${amPort}/-/ready`,
    ),
  ]);
  await start(
    'prometheus',
    [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      `--rules.alert.resend-delay=${scaleDuration(UNSCALED_RESEND_DELAY, scale)}`,
      '--log.level=warn',
    ],
    `http://127.0.0.1:${promPort}/-/ready`,
  );

  const role: MonitoringRole = {
    prometheusUrl: `http://127.0.0.1:${promPort}`,
    alertmanagerUrl: `http://127.0.0.1:${amPort}`,
    ...roleBase,
    processes,
    ...(dbVolume ? { dbVolume } : {}),
  };
  return {
    role,
    pids: () => procs.flatMap((p) => p.pids),
    ports: [
      promPort,
      amPort,
      nodePort,
      pgExpPort,
      ...(spec.redisPort ? [redisExpPort] : []),
      receivers.smtpPort,
      receivers.webhookPort,
    ],
  };
}
