/** What a command gets from the process it runs in: its streams, environment and the interrupt signal. */
export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT / SIGTERM. */
  signal: AbortSignal;
}
