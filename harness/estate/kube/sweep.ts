import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, run } from '../../core/exec.ts';
import { poll } from '../../core/poll.ts';
import type { SweepOptions } from '../backend.ts';
import { labelledProcesses } from '../host/leaks.ts';
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
 * `drill cleanup` for the kube backend: the offline cluster a killed run left (its processes, found by the
 * run label, and its pods' processes, found by the node engine's cgroup), the bridge, the host settings kubelet
 * changed (restored from the state the run recorded) and the state directory. The namespace lived in that
 * cluster's etcd, which goes with it.
 */
export async function sweepKube(opts: SweepOptions): Promise<number> {
  let found = 0;
  const holder = engineHolder(process.env);
  for (const { dir, runId } of clusterStates()) {
    if (opts.runId && opts.runId !== runId) continue;
    if ((opts.active.has(runId) || holder === runId) && !opts.force) {
      opts.log(`skip the offline cluster of run ${runId}: still in progress; --force to remove`);
      continue;
    }
    found++;
    const state = readClusterState(dir);
    const procs = labelledProcesses(runId).map((p) => p.pid);
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

/** The second Ctrl-C: the same, synchronously enough (signals only; `drill cleanup` finishes the rest). */
export function sweepKubeNow(runId: string): void {
  for (const { pid } of labelledProcesses(runId)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
