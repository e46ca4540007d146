/**
 * kind as the cluster source, where `kind` and a Docker engine are on the machine: a cluster per run from the
 * repo's `kind-config.yaml`, the estate's images loaded with `kind load docker-image`, the cluster deleted at
 * teardown. Not exercised on this project's CI machines (no kind binary, and no registry for its node image):
 * the commands are unit-tested, not run.
 */
import { join } from 'node:path';
import { run } from '../../core/exec.ts';
import { EstateError } from '../../core/errors.ts';
import type { Cluster } from './cluster.ts';

/** The repo's kind configuration. */
export const KIND_CONFIG = join(import.meta.dirname, '..', '..', '..', 'kind-config.yaml');

/** The kind cluster of a run: one per run, named after it (kind's names are DNS labels). */
export function kindClusterName(runId: string): string {
  return `drillbook-${runId.slice(-6).toLowerCase()}`;
}

/** The commands the kind source runs, as argument vectors. */
export function kindCommands(name: string, config: string, kubeconfig: string) {
  return {
    create: [
      'kind',
      'create',
      'cluster',
      '--name',
      name,
      '--config',
      config,
      '--kubeconfig',
      kubeconfig,
      '--wait',
      '120s',
    ],
    load: (image: string) => ['kind', 'load', 'docker-image', image, '--name', name],
    nodes: ['kind', 'get', 'nodes', '--name', name],
    /** kill -SIG of a container's main process, from the node container it runs on (containerd, crictl). */
    signal: (node: string, id: string, sig: string) => [
      'docker',
      'exec',
      node,
      'sh',
      '-c',
      'pid=$(crictl inspect --output go-template --template "{{.info.pid}}" "$1" 2> /dev/null) && kill -s "$2" "$pid"',
      'signal',
      id,
      sig,
    ],
    /** The Docker network's gateway: where the node containers reach the host (the router). */
    gateway: [
      'docker',
      'network',
      'inspect',
      'kind',
      '--format',
      '{{range .IPAM.Config}}{{.Gateway}} {{end}}',
    ],
    delete: ['kind', 'delete', 'cluster', '--name', name, '--kubeconfig', kubeconfig],
  };
}

async function exec(argv: string[], timeoutMs = 300_000): Promise<string> {
  const [file, ...args] = argv as [string, ...string[]];
  return (await run(file, args, { timeoutMs })).stdout;
}

/** Create the run's kind cluster; `stop()` deletes it. */
export async function startKindCluster(runId: string, kubeconfig: string): Promise<Cluster> {
  const name = kindClusterName(runId);
  const cmd = kindCommands(name, KIND_CONFIG, kubeconfig);
  const t = performance.now();
  let created = false;
  const stop = async () => {
    if (!created) return [];
    await exec(cmd.delete);
    created = false;
    return [`deleted kind cluster ${name}`];
  };
  try {
    created = true;
    await exec(cmd.create);
    const gateway = (await exec(cmd.gateway, 10_000))
      .split(/\s+/)
      .find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
    if (!gateway) throw new EstateError('kind: the Docker network "kind" has no IPv4 gateway');
    const timings = { total: Math.round(performance.now() - t) };
    return {
      source: 'kind',
      kubeconfig,
      hostAddress: gateway,
      async loadImages(refs) {
        for (const r of refs) await exec(cmd.load(r));
        return [...refs];
      },
      async signalContainer(id, sig) {
        for (const node of (await exec(cmd.nodes, 10_000)).split('\n').filter(Boolean)) {
          const [file, ...args] = cmd.signal(node, id, sig.replace(/^SIG/, '')) as [string, ...string[]];
          await run(file, args, { check: false, timeoutMs: 10_000 });
        }
      },
      pids: [],
      timings,
      stop,
      async leftovers() {
        const r = await run('kind', ['get', 'clusters'], { check: false, timeoutMs: 10_000 });
        return r.stdout.split('\n').includes(name) ? [`kind cluster ${name} still exists`] : [];
      },
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
