/**
 * Where a kube drill's cluster comes from, in this order: an existing cluster when named twice
 * (`--kube-context NAME --allow-context NAME`), else kind when `kind` and a Docker engine are on the machine and
 * `DRILL_CLUSTER_SOURCE=kind` asks for it, else the offline single-node cluster from the machine's cache.
 * `drill doctor` and `cluster status` say which and why; the estate gets a `Cluster` and nothing else.
 *
 * kind is opt-in for now: the estate's database pods listen on the node's 127.0.0.1 and use host directories of
 * the run, which a kind node (a container) does not give them, and the kind path has never run on this project's
 * machines (no registry for its node image). Chosen by default it would fail every kube drill of a machine that
 * has kind; the offline cluster works wherever it is built (docs/kube.md).
 */
import type { Cluster, ClusterSourceName } from './cluster.ts';

/** What the choice depends on, found on the machine (or given on the command line). */
export interface SourceFacts {
  /** The context named by both flags. */
  context?: string | undefined;
  /** Where `kind` is on PATH. */
  kind?: string | undefined;
  /** Why no Docker engine answers, or undefined when one does. */
  engineProblem?: string | undefined;
  /** `DRILL_CLUSTER_SOURCE=kind`: kind asked for by name. */
  kindAsked?: boolean;
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
  if (f.kind && !f.engineProblem && f.kindAsked)
    return {
      source: 'kind',
      why: `kind at ${f.kind} and a Docker engine, asked for by DRILL_CLUSTER_SOURCE=kind: a kind cluster per run`,
    };
  const offline = 'the offline single-node cluster from `drill cluster build`';
  return {
    source: 'offline',
    why: !f.kind
      ? `kind is not on PATH: ${offline}`
      : f.engineProblem
        ? `kind at ${f.kind} but no Docker engine for it (${f.engineProblem}): ${offline}`
        : `kind at ${f.kind} is not used unless DRILL_CLUSTER_SOURCE=kind asks (the estate does not run on kind yet, docs/kube.md): ${offline}`,
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
      return startKindCluster(run.runId, kubeconfig);
    }
    case 'offline': {
      const { startOfflineCluster } = await import('./offline-source.ts');
      return startOfflineCluster(run.runId, run.drillId, run.env, run.startTimeoutMs);
    }
  }
}

/** The facts of this machine: `kind` on PATH, a Docker engine answering (asked only when kind is there). */
export async function sourceFactsHere(env: NodeJS.ProcessEnv, context?: string): Promise<SourceFacts> {
  const { findOnPath } = await import('./paths.ts');
  const kind = findOnPath('kind', env);
  const kindAsked = env.DRILL_CLUSTER_SOURCE === 'kind';
  if (context !== undefined || !kind || !kindAsked) return { context, kind, kindAsked };
  const { engineProblem } = await import('../docker/engine.ts');
  return { kind, kindAsked, engineProblem: await engineProblem() };
}
