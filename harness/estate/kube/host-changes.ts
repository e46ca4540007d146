import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * What kubelet changes on the host when it starts, recorded before and restored after: it sets three kernel
 * sysctls to the values it wants and creates directories under /var and /usr whatever its --root-dir says.
 */
export const KUBELET_SYSCTLS = ['vm/overcommit_memory', 'kernel/panic', 'kernel/panic_on_oops'] as const;
export const KUBELET_DIRS = [
  '/var/log/pods',
  '/var/log/containers',
  '/var/lib/kubelet',
  '/usr/libexec/kubernetes',
] as const;

/**
 * kubelet's dockershim also sets the OOM score of every process named `dockerd` (the machine's shared engine
 * included) to -999 every few minutes: recorded and put back too, per pid.
 */
const OOM_PROCESSES = ['dockerd', 'containerd'];

export interface HostState {
  /** pid -> oom_score_adj before kubelet started, of the processes kubelet adjusts. */
  oomScores?: Record<string, string>;
  /** sysctl (as a /proc/sys path suffix) -> its value before kubelet started. */
  sysctls: Record<string, string>;
  /** The directories of KUBELET_DIRS that did not exist before kubelet started (removed on restore). */
  absentDirs: string[];
}

const sysctlPath = (name: string) => `/proc/sys/${name}`;

export function recordHostState(): HostState {
  const sysctls: Record<string, string> = {};
  for (const s of KUBELET_SYSCTLS) {
    try {
      sysctls[s] = readFileSync(sysctlPath(s), 'utf8').trim();
    } catch {
      // not on this kernel: nothing to restore
    }
  }
  const oomScores: Record<string, string> = {};
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (!OOM_PROCESSES.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      oomScores[pid] = readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim();
    } catch {
      // gone meanwhile
    }
  }
  return { sysctls, absentDirs: KUBELET_DIRS.filter((d) => !existsSync(d)), oomScores };
}

/** Put back what kubelet changed. Returns one line per thing restored, for the log. */
export function restoreHostState(state: HostState): string[] {
  const done: string[] = [];
  for (const [s, before] of Object.entries(state.sysctls)) {
    try {
      const now = readFileSync(sysctlPath(s), 'utf8').trim();
      if (now !== before) {
        writeFileSync(sysctlPath(s), `${before}\n`);
        done.push(`sysctl ${s.replace('/', '.')} ${now} -> ${before}`);
      }
    } catch (e) {
      done.push(`sysctl ${s.replace('/', '.')}: could not restore ${before}: ${(e as Error).message}`);
    }
  }
  for (const [pid, before] of Object.entries(state.oomScores ?? {})) {
    try {
      const now = readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim();
      if (now !== before) {
        writeFileSync(`/proc/${pid}/oom_score_adj`, `${before}\n`);
        done.push(`oom_score_adj of pid ${pid} ${now} -> ${before}`);
      }
    } catch {
      // the process is gone: nothing to put back
    }
  }
  for (const d of state.absentDirs) {
    if (existsSync(d)) {
      rmSync(d, { recursive: true, force: true });
      done.push(`removed ${d}`);
    }
  }
  return done;
}

/** Host changes that differ from a record (for the leak check: a change left behind is a leak). */
export function hostChangesLeft(state: HostState): string[] {
  const left: string[] = [];
  for (const [s, before] of Object.entries(state.sysctls)) {
    const now = existsSync(sysctlPath(s)) ? readFileSync(sysctlPath(s), 'utf8').trim() : before;
    if (now !== before)
      left.push(`sysctl ${s.replace('/', '.')} is ${now}, was ${before} before the cluster`);
  }
  for (const d of state.absentDirs) if (existsSync(d)) left.push(`directory ${d} left by kubelet`);
  return left;
}

/**
 * Unmount whatever is mounted under `dir` (kubelet bind-mounts its root directory onto itself), deepest first,
 * so the directory can be removed. Returns the mount points it unmounted.
 */
export function unmountUnder(dir: string): string[] {
  let mounts: string[];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .map((p) => p.replace(/\\040/g, ' '))
      .filter((p) => p === dir || p.startsWith(`${dir}/`));
  } catch {
    return [];
  }
  const done: string[] = [];
  for (const m of [...new Set(mounts)].sort((a, b) => b.length - a.length)) {
    const r = spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    if (r.status === 0) done.push(m);
  }
  return done;
}
