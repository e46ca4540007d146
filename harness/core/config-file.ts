import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/** The drill config file (optional), at the project root. */
export const CONFIG_FILE = 'drillbook.config.json';

/** Where the config file is: DRILL_CONFIG when set (a path), else drillbook.config.json at the project root. */
export function configPath(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.DRILL_CONFIG ? resolve(env.DRILL_CONFIG) : join(root, CONFIG_FILE);
}

/**
 * The config file's top-level object, or `{}` when there is none. The one place the file is read: every section's
 * reader starts here, so a file that is not JSON, or not an object, is the same usage error (exit 2, naming the
 * file) whichever command or backend reads it first. DRILL_CONFIG naming a file that does not exist is an error
 * too (a typo must not silently mean "no config").
 */
export function readConfigFile(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): { path: string; dir: string; raw: Record<string, unknown> } {
  const path = configPath(root, env);
  const dir = resolve(path, '..');
  if (!existsSync(path)) {
    if (env.DRILL_CONFIG) throw new UsageError(`DRILL_CONFIG: ${path} does not exist`);
    return { path, dir, raw: {} };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UsageError(`${path}: must be a JSON object`);
  return { path, dir, raw: raw as Record<string, unknown> };
}
