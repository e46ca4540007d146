import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../../core/args.ts';
import { UsageError } from '../../core/errors.ts';
import type { CommandIo, Prerequisite } from '../backend.ts';
import { CLUSTER_BINARIES, kubeCacheDir, KUBE_VERSION, missingBinaries } from './paths.ts';

const BUILD_SCRIPT = join(import.meta.dirname, 'build-cluster.sh');

/**
 * `drill cluster build [--force]`: kube-apiserver, kube-controller-manager, kube-scheduler and kubelet (and
 * the pods' pause program) from Debian's `kubernetes` source package with Debian's Go, into the machine's cache;
 * what is there is reused. `drill cluster status`: the kube backend's prerequisites here.
 */
export async function clusterCommand(
  argv: string[],
  io: CommandIo,
  prerequisites: (env: NodeJS.ProcessEnv) => Promise<Prerequisite[]>,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'build') {
    const { values } = parse('cluster build', rest, { force: { type: 'boolean', default: false } });
    const cache = kubeCacheDir(io.env);
    if (values.force)
      for (const b of [...CLUSTER_BINARIES, 'pause']) rmSync(join(cache, 'bin', b), { force: true });
    const started = performance.now();
    const code = await new Promise<number>((resolve) => {
      const child = spawn('bash', [BUILD_SCRIPT], {
        env: { ...io.env, KUBE_CACHE: cache, KUBE_VERSION },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (d: Buffer) => io.out.write(d));
      child.stderr.on('data', (d: Buffer) => io.err.write(d));
      const abort = () => child.kill('SIGTERM');
      io.signal.addEventListener('abort', abort, { once: true });
      child.on('close', (c) => {
        io.signal.removeEventListener('abort', abort);
        resolve(c ?? 1);
      });
    });
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    if (code !== 0) {
      io.err.write(`drill: cluster build failed after ${secs} s (exit ${code})\n`);
      return code === 3 ? 3 : 1;
    }
    io.out.write(
      `offline cluster binaries (Kubernetes ${KUBE_VERSION}) ready in ${cache}/bin in ${secs} s\n`,
    );
    return 0;
  }
  if (sub === 'status') {
    parse('cluster status', rest, {});
    const missing = missingBinaries(io.env);
    io.out.write(
      `offline single node (Kubernetes ${KUBE_VERSION}) in ${kubeCacheDir(io.env)}: binaries ${missing.length ? `missing ${missing.join(', ')}` : 'built'}\n`,
    );
    let ok = true;
    for (const p of await prerequisites(io.env)) {
      ok &&= p.ok;
      io.out.write(
        `  ${p.ok ? 'ok     ' : 'MISSING'} ${p.what}: ${p.detail}${p.ok || !p.remedy ? '' : ` (${p.remedy})`}\n`,
      );
    }
    return ok ? 0 : 3;
  }
  throw new UsageError(`cluster: expected 'build' or 'status', not '${sub ?? ''}'`);
}
