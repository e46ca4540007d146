import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EstateError } from '../../core/errors.ts';
import { isAlive, run } from '../../core/exec.ts';
import { poll } from '../../core/poll.ts';
import { LocalProcess } from '../local/process.ts';

/**
 * The node's own Docker engine: kubelet drives a dockerd of its own (its socket, data root, exec root, pid
 * file and bridge), never the machine's shared engine, whose default runtime and containers stay untouched.
 * The data root is the machine-wide cache's, so the estate's images, loaded once from the shared engine with
 * `docker save | docker load`, stay there for later runs; one node engine runs at a time (a lock file).
 */
export interface NodeEngineSpec {
  runId: string;
  /** The drill of the run: its processes carry DRILL_DRILL_ID beside the run id. */
  drillId: string;
  /** Per-run state: socket, pid file, exec root, logs. */
  stateDir: string;
  /** The machine-wide cache directory (the data root is `<cache>/engine`). */
  cacheDir: string;
  /** The bridge pods are attached to (made by the caller). */
  bridge: string;
  startTimeoutMs: number;
}

export class NodeEngine {
  readonly socket: string;
  readonly proc: LocalProcess;
  private readonly lockFile: string;
  private readonly wrapper: string | undefined;

  constructor(private readonly spec: NodeEngineSpec) {
    this.socket = join(spec.stateDir, 'docker.sock');
    this.lockFile = join(spec.cacheDir, 'engine.lock');
    this.wrapper = oomScoresRefused() ? join(spec.stateDir, 'runc-oom-wrapper') : undefined;
    const runtime = this.wrapper;
    const config = join(spec.stateDir, 'daemon.json');
    this.proc = new LocalProcess({
      name: 'node-dockerd',
      file: 'dockerd',
      args: [
        `--host=unix://${this.socket}`,
        `--config-file=${config}`,
        `--data-root=${join(spec.cacheDir, 'engine')}`,
        `--exec-root=${join(spec.stateDir, 'exec')}`,
        `--pidfile=${join(spec.stateDir, 'docker.pid')}`,
        `--bridge=${spec.bridge}`,
        // The machine's firewall and forwarding are the shared engine's: this one leaves them alone. Pods
        // talk to each other only through the router on the bridge's host address.
        '--iptables=false',
        '--ip-masq=false',
        '--ip-forward=false',
        '--exec-opt=native.cgroupdriver=cgroupfs',
        '--cgroup-parent=/drillbook-kube',
        ...(runtime ? [`--add-runtime=drillbook-runc=${runtime}`, '--default-runtime=drillbook-runc'] : []),
      ],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      logFile: join(spec.stateDir, 'dockerd.log'),
      runId: spec.runId,
      drillId: spec.drillId,
      stopGraceMs: 15_000,
    });
  }

  /** `--host <socket>` for the docker CLI. */
  get host(): string {
    return `unix://${this.socket}`;
  }

  async start(): Promise<void> {
    mkdirSync(this.spec.stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(this.spec.stateDir, 'daemon.json'), '{}\n');
    if (this.wrapper) writeRuncWrapper(this.wrapper);
    this.lock();
    try {
      await this.proc.startUntil(
        async () =>
          (await run('docker', ['--host', this.host, 'version'], { check: false, timeoutMs: 5000 }))
            .exitCode === 0,
        `the node's Docker engine to answer on ${this.socket}`,
        this.spec.startTimeoutMs,
      );
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Remove every container of the node engine (kubelet's pods), then stop it and release the lock. */
  async stop(): Promise<void> {
    if (this.proc.running()) {
      const ids = await run('docker', ['--host', this.host, 'ps', '-aq'], {
        check: false,
        timeoutMs: 10_000,
      });
      const list = ids.stdout.split('\n').filter(Boolean);
      if (list.length)
        await run('docker', ['--host', this.host, 'rm', '-f', ...list], { check: false, timeoutMs: 60_000 });
    }
    await this.proc.stop();
    this.unlock();
  }

  /**
   * Make the node engine hold exactly the shared engine's images of these refs: those absent or with another
   * id are streamed over with one `docker save | docker load`. Returns the refs it loaded.
   */
  async loadImages(refs: readonly string[], sharedEnv: NodeJS.ProcessEnv = process.env): Promise<string[]> {
    const stale: string[] = [];
    for (const ref of refs) {
      const shared = await imageId(ref, sharedEnv);
      if (!shared) throw new EstateError(`image ${ref} is not on the Docker engine to load into the cluster`);
      if ((await imageId(ref, sharedEnv, this.host)) !== shared) stale.push(ref);
    }
    if (!stale.length) return [];
    await run(
      'bash',
      [
        '-c',
        'set -o pipefail; docker save "${@:2}" | docker --host "$1" load -q',
        'load',
        this.host,
        ...stale,
      ],
      { env: sharedEnv, timeoutMs: 600_000 },
    );
    return stale;
  }

  private lock(): void {
    mkdirSync(this.spec.cacheDir, { recursive: true });
    if (existsSync(this.lockFile)) {
      const [pid, runId] = readFileSync(this.lockFile, 'utf8').trim().split(' ');
      if (pid && isAlive(Number(pid)))
        throw new EstateError(
          `the offline cluster's engine is in use by run ${runId ?? '?'} (pid ${pid}); one kube drill runs at a time on a machine`,
        );
    }
    writeFileSync(this.lockFile, `${process.pid} ${this.spec.runId}\n`);
  }

  private unlock(): void {
    try {
      const [pid] = readFileSync(this.lockFile, 'utf8').trim().split(' ');
      if (pid === String(process.pid)) rmSync(this.lockFile, { force: true });
    } catch {
      // not ours or gone
    }
  }
}

async function imageId(ref: string, env: NodeJS.ProcessEnv, host?: string): Promise<string | undefined> {
  const r = await run(
    'docker',
    [...(host ? ['--host', host] : []), 'image', 'inspect', '--format', '{{.Id}}', ref],
    { env, check: false, timeoutMs: 30_000 },
  );
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/**
 * Whether this kernel refuses negative OOM scores even to root (some sandboxes do): then runc cannot start
 * the pause container kubelet asks for with oomScoreAdj -998, and the node engine runs the wrapper below.
 */
export function oomScoresRefused(): boolean {
  try {
    const before = readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
    writeFileSync('/proc/self/oom_score_adj', '-1\n');
    writeFileSync('/proc/self/oom_score_adj', `${before}\n`);
    return false;
  } catch {
    return true;
  }
}

/** runc, with a negative `oomScoreAdj` in the bundle's config.json raised to 0 before the container is created. */
function writeRuncWrapper(path: string): void {
  writeFileSync(
    path,
    `#!/bin/sh
# runc for a kernel that refuses negative OOM scores: a negative oomScoreAdj in the bundle becomes 0.
bundle=
prev=
for a in "$@"; do
  case "$prev" in --bundle|-b) bundle="$a" ;; esac
  case "$a" in --bundle=*) bundle="\${a#--bundle=}" ;; esac
  prev="$a"
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
  sed -i -E 's/"oomScoreAdj": *-[0-9]+/"oomScoreAdj":0/' "$bundle/config.json"
fi
exec runc "$@"
`,
  );
  chmodSync(path, 0o755);
}

/** Wait until a unix socket's file is gone (dockerd removes it on exit). */
export async function socketGone(path: string, timeoutMs: number): Promise<void> {
  await poll(() => !existsSync(path), { subject: `${path} to go`, timeoutMs });
}
