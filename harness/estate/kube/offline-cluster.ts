import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { EstateError, PrerequisiteError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import { logger } from '../../core/log.ts';
import { poll } from '../../core/poll.ts';
import { freePorts } from '../host/ports.ts';
import { together } from '../host/together.ts';
import { LocalProcess } from '../local/process.ts';
import {
  hostChangesLeft,
  recordHostState,
  restoreHostState,
  unmountUnder,
  type HostState,
} from './host-changes.ts';
import { NodeEngine } from './node-engine.ts';
import { clusterBin, KUBE_RUN_BASE, kubeCacheDir, missingBinaries } from './paths.ts';
import { PAUSE_IMAGE } from './pause.ts';

const log = logger('estate');

/** The node's name in the offline cluster. */
export const NODE_NAME = 'drillbook-node';

/** What a started offline cluster leaves in its state directory, for `drill cleanup` after a killed run. */
export interface ClusterState {
  runId: string;
  bridge: string;
  host: HostState;
  pids: number[];
}

export const STATE_FILE = 'cluster.json';

/**
 * A single-node Kubernetes cluster on this machine, from the binaries `drill cluster build` cached: Debian's
 * etcd, kube-apiserver, kube-controller-manager, kube-scheduler on 127.0.0.1 at ports of this run, and kubelet
 * driving a Docker engine of its own (`NodeEngine`), its pods on a bridge of this run. Every process carries
 * the run id; `stop()` stops them in reverse, removes the bridge and restores what kubelet changed on the host.
 */
export class OfflineCluster {
  readonly stateDir: string;
  readonly kubeconfig: string;
  readonly bridge: string;
  /** The bridge's host address: the node's IP, where pods reach the host (the router). */
  gateway = '';
  readonly engine: NodeEngine;
  private readonly procs: LocalProcess[] = [];
  private hostState: HostState | undefined;
  private bridgeMade = false;
  /** How long each part took to come up (ms), for the record and the benchmark. */
  readonly timings: Record<string, number> = {};

  constructor(
    private readonly runId: string,
    private readonly drillId: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly startTimeoutMs: number,
  ) {
    this.stateDir = join(KUBE_RUN_BASE, runId);
    this.kubeconfig = join(this.stateDir, 'kubeconfig');
    this.bridge = `dbk${runId.slice(-6)}`;
    this.engine = new NodeEngine({
      runId,
      drillId,
      stateDir: this.stateDir,
      cacheDir: kubeCacheDir(env),
      bridge: this.bridge,
      startTimeoutMs,
    });
  }

  get pids(): number[] {
    return [...this.procs.flatMap((p) => p.pids), ...this.engine.proc.pids];
  }

  /**
   * Start everything, as much as possible at once: the node's engine beside etcd; kube-apiserver, the
   * controller manager and the scheduler as soon as etcd answers (they wait for the API themselves); kubelet as
   * soon as its engine answers (it registers once the API is up). Ready when the node is Ready.
   */
  async start(): Promise<void> {
    const missing = missingBinaries(this.env);
    if (missing.length)
      throw new PrerequisiteError(
        `the offline cluster's ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not built`,
        'run `npx drill cluster build` once on this machine (about 10 minutes)',
      );
    const t0 = performance.now();
    const lap = (what: string, since: number) => (this.timings[what] = Math.round(performance.now() - since));
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    this.saveState();

    await this.makeBridge();
    const [etcdClient, etcdPeer, apiPort, kubeletPort, healthzPort] = (await freePorts(5)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const pkiUp = this.writePki(apiPort);
    // Awaited by both halves below; a failure is theirs to report, not an unhandled rejection meanwhile.
    pkiUp.catch(() => undefined);

    const nodeUp = (async () => {
      const t = performance.now();
      await this.engine.start();
      this.saveState();
      lap('engine', t);
      const pause = ensurePauseImage(this.engine.host, this.env);
      this.hostState = recordHostState();
      this.saveState();
      // kubelet reads the kubeconfig's certificate at once: the PKI must be written (openssl can be slower
      // than the engine's start under load; kubelet then exits with "unable to read certificate-authority").
      await pkiUp;
      this.startKubelet(kubeletPort, healthzPort);
      await pause;
    })();

    const controlUp = (async () => {
      const tEtcd = performance.now();
      const etcd = this.proc('etcd', '/usr/bin/etcd', [
        '--name=drillbook',
        `--data-dir=${join(this.stateDir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=drillbook=http://127.0.0.1:${etcdPeer}`,
        '--log-level=warn',
      ]);
      await etcd.startUntil(
        () => curlOk([`http://127.0.0.1:${etcdClient}/health`]),
        'etcd to answer',
        this.startTimeoutMs,
      );
      lap('etcd', tEtcd);
      const pki = await pkiUp;
      const tApi = performance.now();
      const api = this.proc('kube-apiserver', clusterBin('kube-apiserver', this.env), [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        '--insecure-port=0',
        `--tls-cert-file=${pki.cert}`,
        `--tls-private-key-file=${pki.key}`,
        `--token-auth-file=${pki.tokens}`,
        '--service-cluster-ip-range=10.96.0.0/24',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-signing-key-file=${pki.saKey}`,
        `--service-account-key-file=${pki.saKey}`,
        '--api-audiences=https://kubernetes.default.svc',
        '--authorization-mode=AlwaysAllow',
        '--enable-admission-plugins=NamespaceLifecycle',
        '--disable-admission-plugins=ServiceAccount',
        '--kubelet-preferred-address-types=InternalIP',
        '--endpoint-reconciler-type=none',
        '--v=1',
      ]);
      api.start();
      this.saveState();
      await poll(
        async () => {
          if (!api.running())
            throw new EstateError(`kube-apiserver exited (see ${join(this.stateDir, 'kube-apiserver.log')})`);
          return curlOk([
            '--cacert',
            pki.cert,
            '-H',
            `Authorization: Bearer ${pki.token}`,
            `https://127.0.0.1:${apiPort}/readyz`,
          ]);
        },
        { subject: 'kube-apiserver to be ready', timeoutMs: this.startTimeoutMs, intervalMs: 100 },
      );
      lap('apiserver', tApi);
      // After the API is ready: the controller manager gives up (exits) when it is not healthy within 10 s.
      const kube = ['--kubeconfig', this.kubeconfig, '--leader-elect=false', '--port=0', '--v=1'];
      this.proc('kube-controller-manager', clusterBin('kube-controller-manager', this.env), [
        ...kube,
        '--secure-port=0',
        '--controllers=*,-serviceaccount-token,-csrsigning,-csrapproving,-csrcleaner,-nodeipam',
        '--node-monitor-grace-period=20s',
      ]).start();
      this.proc('kube-scheduler', clusterBin('kube-scheduler', this.env), [
        ...kube,
        '--secure-port=0',
      ]).start();
      this.saveState();
    })();

    // Both halves finish (each registers what it started) before a failure of either is thrown.
    await together(nodeUp, controlUp);
    const tNode = performance.now();
    // A part that exited will not come back: that fails the start at once, naming its log.
    const dead = await poll(async () => this.procs.find((p) => !p.running()) ?? (await this.nodeReady()), {
      subject: `node ${NODE_NAME} to be Ready (see ${join(this.stateDir, 'kubelet.log')})`,
      timeoutMs: this.startTimeoutMs,
      intervalMs: 250,
    });
    if (dead !== true)
      throw new EstateError(`${dead.spec.name} exited (see ${join(this.stateDir, `${dead.spec.name}.log`)})`);
    lap('node-ready-after-api', tNode);
    lap('total', t0);
  }

  private startKubelet(port: number, healthzPort: number): void {
    const kdir = join(this.stateDir, 'kubelet');
    mkdirSync(kdir, { recursive: true });
    this.proc('kubelet', clusterBin('kubelet', this.env), [
      `--kubeconfig=${this.kubeconfig}`,
      '--container-runtime=docker',
      `--docker-endpoint=${this.engine.host}`,
      `--pod-infra-container-image=${PAUSE_IMAGE}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${this.gateway}`,
      `--address=${this.gateway}`,
      `--port=${port}`,
      '--read-only-port=0',
      '--healthz-bind-address=127.0.0.1',
      `--healthz-port=${healthzPort}`,
      `--root-dir=${kdir}`,
      `--cert-dir=${join(kdir, 'pki')}`,
      `--volume-plugin-dir=${join(kdir, 'volume-plugins')}`,
      `--seccomp-profile-root=${join(kdir, 'seccomp')}`,
      '--fail-swap-on=false',
      '--cgroups-per-qos=false',
      '--enforce-node-allocatable=',
      '--cgroup-driver=cgroupfs',
      '--eviction-hard=memory.available<1Mi,nodefs.available<1%,imagefs.available<1%',
      '--image-gc-high-threshold=100',
      '--image-gc-low-threshold=99',
      '--make-iptables-util-chains=false',
      '--hairpin-mode=none',
      '--oom-score-adj=0',
      '--node-status-update-frequency=2s',
      '--sync-frequency=5s',
      '--v=1',
    ]).start();
    this.saveState();
  }

  /** `kubectl` arguments that reach this cluster. */
  kubectlArgs(): string[] {
    return ['--kubeconfig', this.kubeconfig];
  }

  /** Stop everything started, newest first; restore the host; remove the bridge and the state directory. */
  async stop(): Promise<string[]> {
    const done: string[] = [];
    const kubelet = this.procs.find((p) => p.spec.name === 'kubelet');
    if (kubelet) await kubelet.stop();
    await this.engine.stop();
    for (const p of [...this.procs].reverse()) await p.stop();
    if (this.hostState) done.push(...restoreHostState(this.hostState));
    if (this.bridgeMade) {
      await run('ip', ['link', 'del', this.bridge], { check: false });
      done.push(`removed bridge ${this.bridge}`);
    }
    this.keepLogs();
    unmountUnder(this.stateDir);
    rmSync(this.stateDir, { recursive: true, force: true });
    return done;
  }

  /** The logs of the last cluster, kept in the cache (`<cache>/last-cluster-logs/`) for a look after a failure. */
  private keepLogs(): void {
    const to = join(kubeCacheDir(this.env), 'last-cluster-logs');
    try {
      rmSync(to, { recursive: true, force: true });
      mkdirSync(to, { recursive: true });
      for (const f of readdirSync(this.stateDir).filter((n) => n.endsWith('.log')))
        copyFileSync(join(this.stateDir, f), join(to, f));
    } catch {
      // logs are a convenience; the teardown goes on
    }
  }

  /** What of this cluster is still there after `stop()`. */
  async leftovers(): Promise<string[]> {
    const left: string[] = [];
    if (this.hostState) left.push(...hostChangesLeft(this.hostState));
    const link = await run('ip', ['link', 'show', this.bridge], { check: false });
    if (link.exitCode === 0) left.push(`bridge ${this.bridge} still exists`);
    if (existsSync(this.stateDir)) left.push(`directory ${this.stateDir} still exists`);
    return left;
  }

  private proc(name: string, file: string, args: string[]): LocalProcess {
    const p = new LocalProcess({
      name,
      file,
      args,
      env: { PATH: this.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: this.stateDir },
      logFile: join(this.stateDir, `${name}.log`),
      runId: this.runId,
      drillId: this.drillId,
      stopGraceMs: 10_000,
    });
    this.procs.push(p);
    return p;
  }

  private saveState(): void {
    const state: ClusterState = {
      runId: this.runId,
      bridge: this.bridge,
      host: this.hostState ?? { sysctls: {}, absentDirs: [] },
      pids: this.pids,
    };
    if (existsSync(this.stateDir)) writeFileSync(join(this.stateDir, STATE_FILE), JSON.stringify(state));
  }

  /** A bridge of this run for the pods, on a /24 no route of the machine uses. */
  private async makeBridge(): Promise<void> {
    const routes = (await run('ip', ['-4', 'route'])).stdout;
    const used = new Set([...routes.matchAll(/^(\d+\.\d+\.\d+)\.0\/\d+/gm)].map((m) => m[1]));
    const seed = parseInt(this.runId.slice(-4), 16);
    let net: string | undefined;
    for (let i = 0; i < 200 && !net; i++) {
      const candidate = `10.213.${(seed + i) % 250}`;
      if (!used.has(candidate)) net = candidate;
    }
    if (!net) throw new EstateError('no free 10.213.x.0/24 subnet for the cluster bridge');
    this.gateway = `${net}.1`;
    await run('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    this.bridgeMade = true;
    this.saveState();
    await run('ip', ['addr', 'add', `${this.gateway}/24`, 'dev', this.bridge]);
    await run('ip', ['link', 'set', this.bridge, 'up']);
  }

  private async writePki(
    apiPort: number,
  ): Promise<{ cert: string; key: string; saKey: string; tokens: string; token: string }> {
    const dir = join(this.stateDir, 'pki');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const cert = join(dir, 'apiserver.crt');
    const key = join(dir, 'apiserver.key');
    const saKey = join(dir, 'sa.key');
    const tokens = join(dir, 'tokens.csv');
    const token = randomBytes(24).toString('hex');
    writeFileSync(tokens, `${token},drillbook,drillbook,system:masters\n`, { mode: 0o600 });
    writeFileSync(
      this.kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'drillbook',
            cluster: { server: `https://127.0.0.1:${apiPort}`, 'certificate-authority': cert },
          },
        ],
        users: [{ name: 'drillbook', user: { token } }],
        contexts: [{ name: 'drillbook', context: { cluster: 'drillbook', user: 'drillbook' } }],
        'current-context': 'drillbook',
      }),
      { mode: 0o600 },
    );
    // A self-signed serving certificate for 127.0.0.1 (the kubeconfig trusts it) and the service-account key.
    await Promise.all([
      run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-keyout',
        key,
        '-out',
        cert,
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ]),
      run('openssl', ['genrsa', '-out', saKey, '2048']),
    ]);
    return { cert, key, saKey, tokens, token };
  }

  private async nodeReady(): Promise<boolean> {
    const r = await run(
      'kubectl',
      [
        ...this.kubectlArgs(),
        'get',
        'node',
        NODE_NAME,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ],
      { check: false, timeoutMs: 10_000 },
    );
    return r.stdout.trim() === 'True';
  }
}

async function curlOk(args: string[]): Promise<boolean> {
  const r = await run('curl', ['-fsS', '--max-time', '2', ...args], { check: false });
  return r.exitCode === 0;
}

/** The pause image kubelet's pod sandboxes run, imported into the node engine from the cached binary. */
async function ensurePauseImage(host: string, env: NodeJS.ProcessEnv): Promise<void> {
  const have = await run('docker', ['--host', host, 'image', 'inspect', PAUSE_IMAGE], { check: false });
  if (have.exitCode === 0) return;
  const bin = join(kubeCacheDir(env), 'bin');
  if (!existsSync(join(bin, 'pause')))
    throw new PrerequisiteError('the pause program is not built', 'run `npx drill cluster build`');
  log.debug(`importing ${PAUSE_IMAGE}`);
  await run('bash', [
    '-c',
    'set -o pipefail; tar -C "$1" -c pause | docker --host "$2" import --change \'ENTRYPOINT ["/pause"]\' - "$3" > /dev/null',
    'import',
    bin,
    host,
    PAUSE_IMAGE,
  ]);
}

/** The state a cluster of a run left behind (its directory still there): for `drill cleanup`. */
export function readClusterState(dir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}
