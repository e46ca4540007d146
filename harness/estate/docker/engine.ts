import { execFileSync } from 'node:child_process';
import type Dockerode from 'dockerode';
import { describe, PrerequisiteError } from '../../core/errors.ts';
import { LABEL_DRILL, LABEL_RUN_ID } from '../../core/session.ts';

/**
 * testcontainers' reaper (Ryuk) is an image pulled from a registry. Where it is not on the engine, drillbook
 * works without it: every container, network and volume carries the run-id label, teardown removes them, and
 * `drill cleanup` sweeps what a killed run left. An explicit TESTCONTAINERS_RYUK_DISABLED is respected.
 */
export const RYUK_IMAGE = 'testcontainers/ryuk:0.14.0';

/** Label on every resource of one role, so a runbook block's replacement container is found again. */
export const LABEL_ROLE = 'drillbook.role';

export const DOCKER_REMEDY =
  'install Docker and start it (Debian/Ubuntu: apt-get install docker.io && dockerd &), then `npx drill images build`';

type Client = Awaited<ReturnType<typeof import('testcontainers').getContainerRuntimeClient>>;

let clientPromise: Promise<Client> | undefined;

/**
 * The container runtime client testcontainers discovered (DOCKER_HOST, ~/.testcontainers.properties, the
 * default socket). Memoised; a failure is not, so a later call can succeed once the engine is up.
 */
export async function engineClient(timeoutMs = 5000): Promise<Client> {
  if (!clientPromise) {
    if (process.env.TESTCONTAINERS_RYUK_DISABLED === undefined) {
      process.env.TESTCONTAINERS_RYUK_DISABLED = dockerImagePresentSync(RYUK_IMAGE) ? 'false' : 'true';
    }
    // The deadline is the engine's, not the module's: loading testcontainers alone takes ~0.7 s, several
    // seconds on a loaded machine, and must not make a reachable engine look absent.
    clientPromise = import('testcontainers').then((m) =>
      withTimeout(m.getContainerRuntimeClient(), timeoutMs, 'the Docker engine to answer'),
    );
    clientPromise.catch(() => (clientPromise = undefined));
  }
  return clientPromise;
}

export async function dockerode(): Promise<Dockerode> {
  return (await engineClient()).container.dockerode;
}

/** Is a Docker engine reachable? `undefined` when it is, else why not. */
export async function engineProblem(timeoutMs = 10_000): Promise<string | undefined> {
  try {
    const d = (await engineClient(timeoutMs)).container.dockerode;
    await d.ping();
    return undefined;
  } catch (e) {
    return `no Docker engine reachable (${describe(e).split('\n')[0] ?? ''})`;
  }
}

export async function requireEngine(): Promise<Dockerode> {
  const problem = await engineProblem();
  if (problem) throw new PrerequisiteError(problem, DOCKER_REMEDY);
  return dockerode();
}

/** Image id and labels, or undefined when the engine does not have it. */
export async function inspectImage(
  d: Dockerode,
  name: string,
): Promise<{ id: string; labels: Record<string, string>; size: number } | undefined> {
  try {
    const info = await d.getImage(name).inspect();
    return { id: info.Id, labels: info.Config?.Labels ?? {}, size: info.Size };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** What `drill images build` says of one image: reused as it was, or built (how long it took, how big it is). */
export interface ImageBuilt {
  image: string;
  action: 'reused' | 'built';
  ms: number;
  sizeBytes?: number;
}

/**
 * After `docker build` tagged `name`: the image that tag replaced (now untagged) is removed, unless a container
 * still uses it, and the build is reported with its time and size.
 */
export async function builtImage(
  d: Dockerode,
  name: string,
  replaced: { id: string } | undefined,
  started: number,
): Promise<ImageBuilt> {
  const built = await inspectImage(d, name);
  if (replaced && replaced.id !== built?.id)
    await d
      .getImage(replaced.id)
      .remove()
      .catch(() => undefined);
  return {
    image: name,
    action: 'built',
    ms: performance.now() - started,
    ...(built ? { sizeBytes: built.size } : {}),
  };
}

/** Synchronous presence check through the docker CLI (for decisions made before any async work). */
export function dockerImagePresentSync(name: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', name], {
      stdio: 'ignore',
      timeout: 5000,
    });
    return true;
  } catch {
    return false;
  }
}

/** Docker's label filter for one run (and optionally one drill). */
export function runFilter(runId?: string, drillId?: string): Record<string, string[]> {
  const label = [runId ? `${LABEL_RUN_ID}=${runId}` : LABEL_RUN_ID];
  if (drillId) label.push(`${LABEL_DRILL}=${drillId}`);
  return { label };
}

export interface LabelledResources {
  containers: { id: string; name: string; runId: string; state: string }[];
  networks: { id: string; name: string; runId: string }[];
  volumes: { name: string; runId: string }[];
}

/** Every container, network and volume carrying a drillbook run-id label (of one run, or of all). */
export async function labelledResources(
  d: Dockerode,
  runId?: string,
  drillId?: string,
): Promise<LabelledResources> {
  const filters = JSON.stringify(runFilter(runId, drillId));
  const [containers, networks, volumes] = await Promise.all([
    d.listContainers({ all: true, filters }),
    d.listNetworks({ filters }),
    d.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      runId: c.Labels[LABEL_RUN_ID] ?? '?',
      state: c.State,
    })),
    networks: networks.map((n) => ({ id: n.Id, name: n.Name, runId: n.Labels?.[LABEL_RUN_ID] ?? '?' })),
    volumes: (volumes.Volumes ?? []).map((v) => ({ name: v.Name, runId: v.Labels?.[LABEL_RUN_ID] ?? '?' })),
  };
}

/**
 * Remove everything labelled with a run id: containers first (with their anonymous volumes), then networks
 * and volumes. "Already gone" is success; every other error is collected and thrown together.
 */
export async function sweep(d: Dockerode, runIds: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  const errors: unknown[] = [];
  for (const runId of runIds) {
    const found = await labelledResources(d, runId);
    await Promise.all(
      found.containers.map(async (c) => {
        try {
          await d.getContainer(c.id).remove({ force: true, v: true });
          removed.push(`container ${c.name}`);
        } catch (e) {
          if (!gone(e)) errors.push(e);
        }
      }),
    );
    for (const n of found.networks) {
      try {
        await d.getNetwork(n.id).remove();
        removed.push(`network ${n.name}`);
      } catch (e) {
        if (!gone(e)) errors.push(e);
      }
    }
    for (const v of found.volumes) {
      try {
        await d.getVolume(v.name).remove();
        removed.push(`volume ${v.name}`);
      } catch (e) {
        if (!gone(e)) errors.push(e);
      }
    }
  }
  if (errors.length) throw new AggregateError(errors, `docker sweep: ${errors.map(describe).join('; ')}`);
  return removed;
}

/**
 * The same sweep through the docker CLI, synchronously: for the second Ctrl-C, where the process exits
 * right after and cannot wait for promises.
 */
export function sweepSync(runId: string): void {
  const filter = `label=${LABEL_RUN_ID}=${runId}`;
  const ids = (args: string[]) => {
    try {
      return execFileSync('docker', args, { encoding: 'utf8', timeout: 10_000 }).split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const quiet = (args: string[]) => {
    try {
      execFileSync('docker', args, { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // best effort: `drill cleanup` sweeps again
    }
  };
  const containers = ids(['ps', '-aq', '--filter', filter]);
  if (containers.length) quiet(['rm', '-f', '-v', ...containers]);
  const networks = ids(['network', 'ls', '-q', '--filter', filter]);
  if (networks.length) quiet(['network', 'rm', ...networks]);
  const volumes = ids(['volume', 'ls', '-q', '--filter', filter]);
  if (volumes.length) quiet(['volume', 'rm', '-f', ...volumes]);
}

/** 404 (no such object) and 409-on-removal-in-progress mean it is gone or going: success for an undo. */
export function gone(e: unknown): boolean {
  const code = (e as { statusCode?: number }).statusCode;
  return code === 404 || (code === 409 && /removal .* in progress|is already in progress/i.test(describe(e)));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
