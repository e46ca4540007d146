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
  const { flags, cli } = byName(env);
  return {
    command: 'docker',
    args: ['exec', '-u', exec.user, '-w', exec.cwd, ...flags, exec.container, 'bash', ...bashArgs],
    env: cli,
  };
}

/** A short-lived container a block runs in: an image, a network, an account, host directories mounted. */
export interface HelperRun {
  image: string;
  network: string;
  user: string;
  cwd: string;
  binds: { source: string; target: string }[];
  /** The run's labels: teardown and `drill cleanup` find it should it outlive the block. */
  labels: Record<string, string>;
  /**
   * A database data directory mounted here whose server runs as PID 1 of its own container (at `host:port` on
   * this network). Its lock file then names PID 1, which in the helper is the helper's own shell, alive: a
   * server started here (pg_rewind's crash recovery) would take the lock for a running postmaster's and refuse.
   * Before the block, the lock is removed if, and only if, it names PID 1 and nothing answers at the server's
   * address (its container is stopped).
   */
  server?: { dataDir: string; host: string; port: number };
  /** `--cgroup-parent`, as the estate's own containers have it (`cpu-share.ts`). */
  cgroupParent?: string;
}

/** Blocks run each in a new container (`docker run --rm`), with `env`: the estate as seen from it. */
export function helperSite(run: HelperRun, env: Record<string, string>): ShellSite {
  return { env, launch: (bashArgs, blockEnv) => inHelper(run, bashArgs, blockEnv) };
}

/** `docker run --rm` of bash in a helper container; values travel by name as with `inContainer`. */
export function inHelper(run: HelperRun, bashArgs: readonly string[], env: NodeJS.ProcessEnv): Launch {
  const { flags, cli } = byName(env);
  return {
    command: 'docker',
    args: [
      'run',
      '--rm',
      '--network',
      run.network,
      '-u',
      run.user,
      '-w',
      run.cwd,
      ...run.binds.flatMap((b) => ['-v', `${b.source}:${b.target}`]),
      ...Object.entries(run.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      ...(run.cgroupParent ? ['--cgroup-parent', run.cgroupParent] : []),
      ...flags,
      '--entrypoint',
      'bash',
      run.image,
      ...(run.server ? ['-c', `${staleLock(run.server)}; exec bash "$@"`, 'helper', ...bashArgs] : bashArgs),
    ],
    env: cli,
  };
}

function staleLock(server: NonNullable<HelperRun['server']>): string {
  const lock = `${server.dataDir}/postmaster.pid`;
  return (
    `if [ -f ${lock} ] && [ "$(head -n 1 ${lock})" = 1 ] && ` +
    `! pg_isready -q -t 2 -h ${server.host} -p ${server.port}; then rm -f ${lock}; fi`
  );
}

/**
 * The block's values as `docker` flags that name them (`-e NAME`: the CLI takes each from its own environment, so
 * no secret is on a command line), PATH and HOME given explicitly (the CLI needs its own from the host), and the
 * CLI's environment: the values, with the host's PATH and the settings that say which engine to talk to.
 */
function byName(env: NodeJS.ProcessEnv): { flags: string[]; cli: NodeJS.ProcessEnv } {
  const explicit = new Set(['PATH', 'HOME']);
  const names = Object.keys(env).filter((k) => env[k] !== undefined);
  const flags = names.flatMap((k) => ['-e', explicit.has(k) ? `${k}=${env[k] ?? ''}` : k]);
  const cli: NodeJS.ProcessEnv = { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const k of ['HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT'])
    if (process.env[k] !== undefined) cli[k] = process.env[k];
  return { flags, cli };
}
