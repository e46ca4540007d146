/**
 * The kube backend: the estate on a real Kubernetes cluster, the app as a Deployment, the databases as pods,
 * runbook blocks typing `kubectl` as operators do. The cluster is a kind cluster per run where kind and a Docker
 * engine are, else the offline single-node one this machine builds once (`drill cluster build`) and starts per
 * drill, or an existing context named twice (`sources.ts`). Heavy modules load only when used.
 */
import { existsSync } from 'node:fs';
import type { Backend, Prerequisite } from '../backend.ts';
import { findOnPath, kubeCacheDir, KUBE_VERSION, missingBinaries } from './paths.ts';
import { sweepKube, sweepKubeNow } from './sweep.ts';

export const CLUSTER_BUILD_REMEDY =
  'run `npx drill cluster build` once on this machine (about 10 minutes on 2 cores)';

async function kubePrerequisites(
  env: NodeJS.ProcessEnv,
  options?: Readonly<Record<string, string>>,
): Promise<Prerequisite[]> {
  const found: Prerequisite[] = [];
  const tool = (what: string, bin: string, remedy: string) => {
    const path = findOnPath(bin, env);
    found.push(
      path ? { what, ok: true, detail: path } : { what, ok: false, detail: `${bin} not on PATH`, remedy },
    );
  };
  // Where the cluster would come from here, and why (kind first, then the offline cluster; an existing
  // context only when named twice on `drill run`).
  const { chooseClusterSource, sourceFactsHere } = await import('./sources.ts');
  let choice;
  try {
    choice = chooseClusterSource(await sourceFactsHere(env, options?.kubeContext));
  } catch (e) {
    found.push({
      what: 'cluster source',
      ok: false,
      detail: e instanceof Error ? e.message : String(e),
      remedy: 'set DRILL_CLUSTER_SOURCE to kind or offline, or unset it',
    });
    return found;
  }
  found.push({ what: 'cluster source', ok: true, detail: `${choice.source}: ${choice.why}`, choice: true });
  tool('kubectl', 'kubectl', 'apt-get install kubernetes-client (or install kubectl)');
  if (choice.source === 'kind') {
    // The app's endpoints are pod addresses inside the node containers: the kind source routes this machine
    // to each node's pod range, which needs root.
    tool('ip (routes to the pods)', 'ip', 'apt-get install iproute2');
    found.push(
      process.getuid?.() === 0
        ? { what: 'root', ok: true, detail: "routes to the kind nodes' pod ranges are added as root" }
        : {
            what: 'root',
            ok: false,
            detail: "the kind source adds routes to its nodes' pod ranges",
            remedy: 'run the kube drills as root, or DRILL_CLUSTER_SOURCE=offline',
          },
    );
  }
  if (choice.source === 'offline') {
    tool('etcd', 'etcd', 'apt-get install etcd-server');
    tool('dockerd (for the node)', 'dockerd', 'apt-get install docker.io');
    const root = process.getuid?.() === 0;
    found.push(
      root
        ? { what: 'root', ok: true, detail: 'kubelet and the node engine run as root' }
        : {
            what: 'root',
            ok: false,
            detail: 'kubelet and its Docker engine need root',
            remedy: 'run the kube drills as root',
          },
    );
    const missing = missingBinaries(env);
    const pause = existsSync(`${kubeCacheDir(env)}/bin/pause`);
    found.push(
      missing.length
        ? {
            what: `offline cluster binaries (Kubernetes ${KUBE_VERSION})`,
            ok: false,
            detail: `${missing.join(', ')} not built in ${kubeCacheDir(env)}`,
            remedy: CLUSTER_BUILD_REMEDY,
          }
        : {
            what: `offline cluster binaries (Kubernetes ${KUBE_VERSION})`,
            ok: pause,
            detail: `${kubeCacheDir(env)}/bin`,
            ...(pause ? {} : { remedy: CLUSTER_BUILD_REMEDY }),
          },
    );
  }
  // An existing cluster's node holds the images already; kind and the offline node load them from the shared
  // engine (`drill images build`).
  if (choice.source === 'existing') return found;
  const { dockerPrerequisites } = await import('../docker/checks.ts');
  const shared = await dockerPrerequisites(env);
  for (const p of shared) {
    if (p.what === 'testcontainers reaper' || p.what === 'node image' || p.what === 'app images') continue;
    // The monitoring runs on the docker backend only; the kube backend offers none.
    if (p.what === 'monitoring image') continue;
    found.push({ ...p, what: `${p.what} (loaded into the node)` });
  }
  // The release images a drill deploys, as they are on the engine: every release of the system under test's
  // config (the docker backend's rebuild-on-change is its own business: rebuilding a shared tag under other
  // drills' feet is not this backend's to do).
  if (shared[0]?.ok) found.push(await releaseImages(env));
  return found;
}

/** The app images of every release the system config declares (what provision loads into the node). */
async function releaseImages(env: NodeJS.ProcessEnv): Promise<Prerequisite> {
  const what = 'app images (loaded into the node)';
  const { loadSystem } = await import('../../config/load.ts');
  let releases: string[];
  try {
    releases = Object.keys(loadSystem(process.cwd(), env).releases);
  } catch (e) {
    return { what, ok: false, detail: `no system config to read the releases from: ${String(e)}` };
  }
  const { dockerImages } = await import('../docker/checks.ts');
  const { appImage } = await import('../docker/images.ts');
  const { dockerode, inspectImage } = await import('../docker/engine.ts');
  const images = await dockerImages(env);
  const d = await dockerode();
  const wanted = releases.map((v) => appImage(images, v));
  const absent: string[] = [];
  for (const image of wanted) if (!(await inspectImage(d, image))) absent.push(image);
  return absent.length
    ? { what, ok: false, detail: `${absent.join(', ')} not on the engine`, remedy: 'npx drill images build' }
    : { what, ok: true, detail: wanted.join(', ') };
}

export const kubeBackend: Backend = {
  name: 'kube',
  description:
    'pods on a Kubernetes cluster (kind, else the offline single node of `drill cluster build`, or a context named twice)',
  capabilities: ['standby', 'sync-replication', 'redis', 'kubernetes'],
  // Drills written for Kubernetes only (k8s-*, q1-db-failover-k8s): the others are not verified here.
  onlyDrillsNeeding: 'kubernetes',

  prerequisites: kubePrerequisites,

  async provision(topology, ctx) {
    return (await import('./kube-backend.ts')).provisionKube(topology, ctx);
  },

  // The cluster's processes carry the run and drill ids and are checked with every backend's; what is the
  // backend's own is the cluster's state directory, one per run.
  async leaks(runId, drillId) {
    const { clusterStates } = await import('./sweep.ts');
    const { contextRecords } = await import('./context.ts');
    const { kindRecords } = await import('./kind-records.ts');
    return [
      ...kindRecords()
        .filter((r) => r.runId === runId)
        .map((r) => `kind cluster ${r.name} not deleted`),
      ...clusterStates()
        .filter((s) => s.runId === runId)
        .map((s) => `offline cluster state ${s.dir} still exists`),
      ...contextRecords()
        .filter((r) => r.runId === runId && (drillId === undefined || r.drillId === drillId))
        .map((r) => `namespace ${r.namespace} of context ${r.context} not deleted`),
    ];
  },
  sweep: sweepKube,
  sweepNow: sweepKubeNow,

  commands: {
    cluster: {
      usage: [
        "cluster build [--force]                    build the offline cluster's binaries from Debian's sources (once)",
        'cluster status                             where the offline cluster comes from here, and what is missing',
      ],
      async run(argv, io) {
        return (await import('./cluster-command.ts')).clusterCommand(argv, io, kubePrerequisites);
      },
    },
  },
};
