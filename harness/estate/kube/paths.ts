import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The Kubernetes release Debian's `kubernetes` source package (bookworm) carries, and the offline cluster runs. */
export const KUBE_VERSION = '1.20.2';

/** The four programs `drill cluster build` makes; etcd comes from Debian's `etcd-server`. */
export const CLUSTER_BINARIES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
] as const;
export type ClusterBinary = (typeof CLUSTER_BINARIES)[number];

/**
 * The machine-wide cache of the offline cluster, outside any clone and reused by every later run:
 * `DRILL_KUBE_CACHE`, else `$XDG_CACHE_HOME/drillbook/kube/<version>`, else `~/.cache/drillbook/kube/<version>`.
 * Holds `bin/` (the binaries), the source tree and Go build cache of the build, and `engine/` (the data root of
 * the node's Docker engine, where the estate's images stay loaded between runs).
 */
export function kubeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DRILL_KUBE_CACHE) return env.DRILL_KUBE_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'drillbook', 'kube', KUBE_VERSION);
}

export function clusterBin(name: ClusterBinary, env: NodeJS.ProcessEnv = process.env): string {
  return join(kubeCacheDir(env), 'bin', name);
}

/** The binaries missing from the cache (empty: `drill cluster build` has run on this machine). */
export function missingBinaries(env: NodeJS.ProcessEnv = process.env): ClusterBinary[] {
  return CLUSTER_BINARIES.filter((b) => !existsSync(clusterBin(b, env)));
}

/** Runtime state of a running offline cluster (sockets, pid files): short paths, for unix sockets. */
export const KUBE_RUN_BASE = '/run/drillbook-kube';

/** The first executable of that name on PATH (and the sbin directories, where dockerd lives). */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'].filter(Boolean);
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}
