/**
 * Where the cluster of a kube drill comes from. Today: the offline single-node cluster from the machine's
 * cache (`drill cluster build`); the estate code depends only on this interface.
 */
export interface Cluster {
  /** 'offline' (this machine, from the cache). */
  readonly source: 'offline';
  readonly kubeconfig: string;
  readonly context?: string;
  /** The host's address as pods see it: where the router listens for them. */
  readonly hostAddress: string;
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
