import type { Launch, ShellSite } from '../types.ts';

/** Blocks run by bash on this machine, in `cwd`, as `user` when given (else as the harness's own account). */
export function hostSite(
  env: Record<string, string>,
  opts: { cwd: string; user?: { uid: number; gid: number } | undefined },
): ShellSite {
  return {
    env,
    launch: (bashArgs, blockEnv): Launch => ({
      command: 'bash',
      args: [...bashArgs],
      env: blockEnv,
      cwd: opts.cwd,
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
    }),
  };
}
