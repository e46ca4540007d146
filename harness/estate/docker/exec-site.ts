import type { Launch, ShellSite } from '../types.ts';

/** Where a block runs on the docker backend: a container, as one of its accounts, in one of its directories. */
export interface ContainerExec {
  container: string;
  user: string;
  cwd: string;
}

/** Blocks run inside a container (`docker exec`), with `env`: the estate as seen from inside. */
export function containerSite(exec: ContainerExec, env: Record<string, string>): ShellSite {
  return { env, launch: (bashArgs, blockEnv) => inContainer(exec, bashArgs, blockEnv) };
}

/**
 * `docker exec` of bash inside a container. Values still travel only through the environment: each is passed
 * by name (`-e NAME`, so the docker CLI takes it from its own environment and no secret is on a command line),
 * except PATH and HOME, which the CLI itself needs from the host and which are therefore given explicitly.
 */
export function inContainer(
  exec: ContainerExec,
  bashArgs: readonly string[],
  env: NodeJS.ProcessEnv,
): Launch {
  const explicit = new Set(['PATH', 'HOME']);
  const names = Object.keys(env).filter((k) => env[k] !== undefined);
  const flags = names.flatMap((k) => ['-e', explicit.has(k) ? `${k}=${env[k] ?? ''}` : k]);
  const cli: NodeJS.ProcessEnv = { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const k of ['HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT'])
    if (process.env[k] !== undefined) cli[k] = process.env[k];
  return {
    command: 'docker',
    args: ['exec', '-u', exec.user, '-w', exec.cwd, ...flags, exec.container, 'bash', ...bashArgs],
    env: cli,
  };
}
