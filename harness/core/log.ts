/**
 * Quiet by default. `DEBUG=drill:*` (or `drill:estate,drill:probe`) turns on debug lines per namespace, on
 * stderr, so stdout stays parseable.
 */
export interface Logger {
  debug(message: string): void;
  enabled: boolean;
}

export function logger(namespace: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const enabled = matches(`drill:${namespace}`, env.DEBUG ?? '');
  return {
    enabled,
    debug(message: string) {
      if (enabled) process.stderr.write(`${new Date().toISOString()} drill:${namespace} ${message}\n`);
    },
  };
}

function matches(name: string, spec: string): boolean {
  return spec
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((pattern) => {
      if (pattern.startsWith('-')) return false;
      const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      return re.test(name);
    });
}
