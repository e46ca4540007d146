/**
 * Where the cluster of a kube drill comes from (`sources.ts` chooses): kind, the offline single-node cluster
 * from the machine's cache (`drill cluster build`), or an existing cluster named twice on the command line. The
 * estate code depends only on this interface.
 */
export type ClusterSourceName = 'kind' | 'offline' | 'existing';

export interface Cluster {
  /** 'kind' (a cluster per run), 'offline' (this machine, from the cache), 'existing' (a named context). */
  readonly source: ClusterSourceName;
  readonly kubeconfig: string;
  readonly context?: string;
  /** The host's address as pods see it: where the router listens for them. */
  readonly hostAddress: string;
  /**
   * Where this machine reaches the host network of `dbNode`: the address the database pods (hostNetwork) listen
   * on, and the one the harness, the router and runbook blocks address them at. Offline: 127.0.0.1 (or
   * `DRILL_KUBE_NODE_ADDRESS`); kind: the node container's address on the `kind` network; an existing cluster:
   * the node's InternalIP.
   */
  readonly nodeAddress: string;
  /**
   * The node the database pods are pinned to (its name): their ports are on its network and their directories,
   * the run directory's, are at the same path on it (kind mounts the run directory into its nodes).
   */
  readonly dbNode: string;
  /** The main process id of a running container as its node sees it (undefined when there is none). */
  containerPid(id: string): number | undefined;
  /** Make the node hold these images of the shared Docker engine; returns those it loaded. */
  loadImages(refs: readonly string[]): Promise<string[]>;
  /** Send a signal to a container on the node, as `kill -SIG` of its main process from the node would. */
  signalContainer(id: string, sig: NodeJS.Signals): Promise<void>;
  /** Every process id the cluster started (for the leak check). */
  readonly pids: number[];
  /** How long its parts took to come up, ms. */
  readonly timings: Record<string, number>;
  /** Stop what was started and restore the host; lines of what was restored. */
  stop(): Promise<string[]>;
  /** What of it is still there after `stop()`. */
  leftovers(): Promise<string[]>;
}
