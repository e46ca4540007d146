import { randomBytes } from 'node:crypto';
import { chownSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Launch, ShellSite } from '../types.ts';

/** Where a block runs on the kube backend: a container of a pod, reached with `kubectl exec`. */
export interface PodExec {
  kubeconfig: string;
  namespace: string;
  pod: string;
  container: string;
  /** A directory of the host mounted in the pod (at `envDirInPod`): the block's environment travels there. */
  envDir: string;
  envDirInPod: string;
}

export function podSite(exec: PodExec, env: Record<string, string>): ShellSite {
  return { env, launch: (bashArgs, blockEnv) => inPod(exec, bashArgs, blockEnv) };
}

/**
 * `kubectl exec` of bash in a pod. `kubectl exec` passes no environment, and values must not travel on command
 * lines (secrets would show in the process list): they go into a file of the directory shared with the pod,
 * readable by the pod's account only, which the pod's shell reads, removes, and then runs the block.
 */
export function inPod(exec: PodExec, bashArgs: readonly string[], env: NodeJS.ProcessEnv): Launch {
  const name = `.block-env-${randomBytes(6).toString('hex')}`;
  const file = join(exec.envDir, name);
  const lines = Object.entries(env)
    .filter(([k, v]) => v !== undefined && /^[a-z_]\w*$/i.test(k))
    .map(([k, v]) => `export ${k}=${shellQuote(v ?? '')}\n`)
    .join('');
  writeFileSync(file, lines, { mode: 0o600 });
  const owner = statSync(exec.envDir);
  if (process.getuid?.() === 0) chownSync(file, owner.uid, owner.gid);
  const inside = `${exec.envDirInPod}/${name}`;
  return {
    command: 'kubectl',
    args: [
      '--kubeconfig',
      exec.kubeconfig,
      'exec',
      '-n',
      exec.namespace,
      exec.pod,
      '-c',
      exec.container,
      '--',
      'bash',
      '-c',
      '. "$0" && rm -f "$0" && cd "$HOME" && exec bash "$@"',
      inside,
      ...bashArgs,
    ],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
  };
}

export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}
