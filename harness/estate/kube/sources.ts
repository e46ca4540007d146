/**
 * Where a kube drill's cluster comes from, in this order: an existing cluster when named twice
 * (`--kube-context NAME --allow-context NAME`: explicit flags win), else kind when `kind` is on PATH and a Docker
 * engine answers, else the offline single-node cluster from the machine's cache. `DRILL_CLUSTER_SOURCE=offline`
 * forces the offline cluster on a machine that has kind; `DRILL_CLUSTER_SOURCE=kind` asks for kind by name.
 * `drill doctor`, `cluster status` and `--backend auto` say which and why; the estate gets a `Cluster` and nothing
 * else (its node's address, the node the databases go on, the run directory at the same path there).
 */
import { UsageError } from '../../core/errors.ts';
import type { Cluster, ClusterSourceName } from './cluster.ts';

/** The variable that forces a source (`kind` or `offline`). */
export const SOURCE_VAR = 'DRILL_CLUSTER_SOURCE';

/** What the choice depends on, found on the machine (or given on the command line). */
export interface SourceFacts {
  /** The context named by both flags. */
  context?: string | undefined;
  /** Where `kind` is on PATH. */
  kind?: string | undefined;
  /** Why no Docker engine answers, or undefined when one does (asked only when kind is there). */
  engineProblem?: string | undefined;
  /** `DRILL_CLUSTER_SOURCE`, as set. */
  forced?: string | undefined;
}

export interface SourceChoice {
  source: ClusterSourceName;
  /** One line: why this source. */
  why: string;
}

export function chooseClusterSource(f: SourceFacts): SourceChoice {
  if (f.context !== undefined)
    return {
      source: 'existing',
      why: `context ${f.context}, named by --kube-context and --allow-context (a namespace of the run only)`,
    };
  const forced = f.forced || undefined;
  if (forced !== undefined && forced !== 'kind' && forced !== 'offline')
    throw new UsageError(`${SOURCE_VAR}=${forced}: expected kind or offline`);
  const offline = 'the offline single-node cluster from `drill cluster build`';
  if (forced === 'offline') return { source: 'offline', why: `${SOURCE_VAR}=offline: ${offline}` };
  if (f.kind && !f.engineProblem)
    return {
      source: 'kind',
      why: `kind at ${f.kind} and a Docker engine answering${forced ? ` (${SOURCE_VAR}=kind)` : ''}: a kind cluster per run`,
    };
  const asked = forced === 'kind' ? `${SOURCE_VAR}=kind, but ` : '';
  return {
    source: 'offline',
    why: !f.kind
      ? `${asked}kind is not on PATH: ${offline}`
      : `${asked}kind at ${f.kind} has no Docker engine (${f.engineProblem ?? '?'}): ${offline}`,
  };
}

/** Start (or, for an existing context, take) the cluster of a run from the chosen source. */
export async function startCluster(
  choice: SourceChoice & { context?: string | undefined },
  run: { runId: string; drillId: string; runDir: string; env: NodeJS.ProcessEnv; startTimeoutMs: number },
): Promise<Cluster> {
  const kubeconfig = `${run.runDir}/kubeconfig`;
  switch (choice.source) {
    case 'existing': {
      const { useExistingContext } = await import('./existing-source.ts');
      return useExistingContext(choice.context ?? '', kubeconfig, run.env);
    }
    case 'kind': {
      const { startKindCluster } = await import('./kind-source.ts');
      return startKindCluster(run.runId, run.runDir, kubeconfig);
    }
    case 'offline': {
      const { startOfflineCluster } = await import('./offline-source.ts');
      return startOfflineCluster(run.runId, run.drillId, run.env, run.startTimeoutMs);
    }
  }
}

/** The facts of this machine: `kind` on PATH, a Docker engine answering (asked only when kind would be used). */
export async function sourceFactsHere(env: NodeJS.ProcessEnv, context?: string): Promise<SourceFacts> {
  const { findOnPath } = await import('./paths.ts');
  const kind = findOnPath('kind', env);
  const forced = env[SOURCE_VAR];
  if (context !== undefined || !kind || forced === 'offline') return { context, kind, forced };
  const { engineProblem } = await import('../docker/engine.ts');
  return { kind, forced, engineProblem: await engineProblem() };
}
