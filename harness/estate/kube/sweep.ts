import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, run } from '../../core/exec.ts';
import { poll } from '../../core/poll.ts';
import type { SweepOptions } from '../backend.ts';
import { LABEL_DRILL, LABEL_RUN_ID } from '../../core/session.ts';
import { labelledProcesses } from '../host/leaks.ts';
import { notFound, waitNamespaceGone } from './api.ts';
import { contextRecords } from './context.ts';
import { sweepKindClusters } from './kind-records.ts';
import { restoreHostState, unmountUnder } from './host-changes.ts';
import { readClusterState } from './offline-cluster.ts';
import { KUBE_RUN_BASE, kubeCacheDir } from './paths.ts';

/** The cgroup the node engine puts every container in (`--cgroup-parent`), per controller. */
const CGROUP_DIRS = ['/sys/fs/cgroup/pids/drillbook-kube', '/sys/fs/cgroup/drillbook-kube'];

/** Processes of the node engine's containers (pods), by their cgroup. */
export function podProcesses(): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
      for (const p of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
        pids.add(Number(p));
    } catch {
      return;
    }
    for (const n of names) walk(join(dir, n));
  };
  for (const d of CGROUP_DIRS) if (existsSync(d)) walk(d);
  return [...pids];
}

/** Offline clusters of killed runs: state directories under KUBE_RUN_BASE. */
export function clusterStates(): { dir: string; runId: string }[] {
  try {
    return readdirSync(KUBE_RUN_BASE).map((runId) => ({ dir: join(KUBE_RUN_BASE, runId), runId }));
  } catch {
    return [];
  }
}

/** Whether a live process holds the node engine (a kube drill runs now). */
function engineHolder(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const [pid, runId] = readFileSync(join(kubeCacheDir(env), 'engine.lock'), 'utf8')
      .trim()
      .split(' ');
    return pid && isAlive(Number(pid)) ? runId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Processes of a run's cluster that drillbook provably started although the run registry could not record them:
 * labelled with the run id AND naming the run's own state directory on their command line (the node engine's
 * containerd shims, which leave the engine's process group and outlive it). A label alone proves nothing.
 */
export function clusterProcesses(runId: string, stateDir: string): number[] {
  return labelledProcesses(runId)
    .map((p) => p.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .some((a) => a.includes(stateDir));
      } catch {
        return false;
      }
    });
}

/**
 * `drill cleanup` for the kube backend: the offline cluster a killed run left, the bridge, the host settings
 * kubelet changed (restored from the state the run recorded) and the state directory. The cluster's processes
 * (etcd, apiserver, kubelet, the node engine) are in the run registry and `drill cleanup` has killed them before
 * this runs; what is left here is what names the run's state directory (`clusterProcesses`) and the pods'
 * processes, found by the node engine's cgroup. A process that only carries the run's label is reported and
 * the cluster left alone. The namespace lived in that cluster's etcd, which goes with it. Without `--run`, only
 * runs known to be over are swept (a run nothing is known of may be in progress under another TMPDIR).
 */
export async function sweepKube(opts: SweepOptions): Promise<number> {
  let found = await sweepContextNamespaces(opts);
  found += await sweepKindClusters(opts);
  const holder = engineHolder(process.env);
  for (const { dir, runId } of clusterStates()) {
    if (opts.runId && opts.runId !== runId) continue;
    if ((opts.active.has(runId) || holder === runId) && !opts.force) {
      opts.log(`skip the offline cluster of run ${runId}: still in progress; --force to remove`);
      continue;
    }
    if (opts.ended && !opts.ended.has(runId) && !opts.runId && !opts.force) {
      opts.log(
        `skip the offline cluster of run ${runId}: no record shows that run is over (it may be in progress under another TMPDIR); drill cleanup --run ${runId} to remove it`,
      );
      continue;
    }
    const procs = clusterProcesses(runId, dir);
    const unproven = labelledProcesses(runId).filter((p) => !procs.includes(p.pid));
    if (unproven.length && !opts.force) {
      opts.log(
        `leave the offline cluster of run ${runId}: processes ${unproven.map((p) => p.pid).join(', ')} carry its label but no record proves drillbook started them; --force to remove the rest`,
      );
      continue;
    }
    found++;
    const state = readClusterState(dir);
    const pods = holder && holder !== runId ? [] : podProcesses();
    if (opts.dryRun) {
      opts.log(
        `would stop the offline cluster of run ${runId} (${procs.length} processes, ${pods.length} pod processes), remove bridge ${state?.bridge ?? '?'} and restore the host`,
      );
      continue;
    }
    for (const pid of [...procs, ...pods]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await poll(() => [...procs, ...pods].every((p) => !isAlive(p)), {
      subject: `the processes of run ${runId}'s cluster to exit`,
      timeoutMs: 10_000,
    }).catch(() => undefined);
    opts.log(`stopped ${procs.length} cluster processes and ${pods.length} pod processes of run ${runId}`);
    if (state) {
      for (const line of restoreHostState(state.host)) opts.log(`${line} (run ${runId})`);
      const del = await run('ip', ['link', 'del', state.bridge], { check: false });
      if (del.exitCode === 0) opts.log(`removed bridge ${state.bridge} (run ${runId})`);
    }
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
    opts.log(`removed ${dir}`);
  }
  return found;
}

/**
 * The second Ctrl-C: the harness has killed what it recorded; the cluster's processes that name this run's
 * state directory go too (signals only; `drill cleanup` finishes the rest).
 */
export function sweepKubeNow(runId: string): void {
  for (const pid of clusterProcesses(runId, join(KUBE_RUN_BASE, runId))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/**
 * Namespaces killed runs left in existing clusters: for each context a run was allowed (its record), the
 * namespaces labelled with that run's id, deleted; nothing else in those clusters is looked at.
 */
async function sweepContextNamespaces(opts: SweepOptions): Promise<number> {
  let found = 0;
  for (const r of contextRecords()) {
    if (opts.runId && opts.runId !== r.runId) continue;
    if (opts.active.has(r.runId) && !opts.force) {
      opts.log(
        `skip namespace ${r.namespace} of context ${r.context}: run ${r.runId} still in progress; --force to remove`,
      );
      continue;
    }
    if (opts.ended && !opts.ended.has(r.runId) && !opts.runId && !opts.force) {
      opts.log(
        `skip namespace ${r.namespace} of context ${r.context}: no record shows run ${r.runId} is over; drill cleanup --run ${r.runId} to remove it`,
      );
      continue;
    }
    let api;
    try {
      const k8s = await import('@kubernetes/client-node');
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(r.kubeconfig);
      kc.setCurrentContext(r.context);
      api = { kc, core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api) };
    } catch (e) {
      opts.log(
        `cannot reach context ${r.context} from ${r.kubeconfig} (${String(e)}): namespace ${r.namespace} left`,
      );
      continue;
    }
    let labelled: string[];
    try {
      labelled = (
        await api.core.listNamespace({
          labelSelector: `${LABEL_RUN_ID}=${r.runId},${LABEL_DRILL}=${r.drillId}`,
        })
      ).items
        .map((n) => n.metadata?.name)
        .filter((n): n is string => Boolean(n));
    } catch (e) {
      // An unreachable cluster is reported and its record kept: the namespace may still be there.
      opts.log(
        `cannot list namespaces in context ${r.context} (${String(e).split('\n')[0] ?? ''}): namespace ${r.namespace} of run ${r.runId} not checked`,
      );
      continue;
    }
    found += labelled.length;
    if (opts.dryRun) {
      for (const n of labelled)
        opts.log(`would delete namespace ${n} of context ${r.context} (run ${r.runId})`);
      continue;
    }
    for (const name of labelled) {
      // Its pods at once (the estate is being thrown away), then the namespace, as teardown does.
      await api.core
        .deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 })
        .then(() => api.core.deleteNamespace({ name, gracePeriodSeconds: 0 }))
        .catch((e: unknown) => {
          if (!notFound(e)) throw e;
        });
      await waitNamespaceGone(api, name, 120_000);
      opts.log(`deleted namespace ${name} of context ${r.context} (run ${r.runId})`);
    }
    rmSync(r.file, { force: true });
  }
  return found;
}
