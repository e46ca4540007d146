/**
 * The config fields a drill reads beyond the system itself (`data.seed`, `cache.degraded` …): which of them a
 * config lacks, and their values for the scenario that reads them. A drill whose fields are missing does not
 * apply to that system: `drill run` leaves it out (or, named, refuses it with exit 2) and `drill list` says so.
 */
import { UsageError } from '../core/errors.ts';
import type { SystemUnderTest } from './system.ts';

/**
 * A field of the config's `data` or `cache` section, by its dotted path, a release a drill deploys by name
 * (`releases.v2-slow`), or how the app names the release it serves (`health.version`).
 */
export type ConfigField = `data.${string}` | `cache${string}` | `releases.${string}` | 'health.version';

/** The value at a dotted path of the system's `data` / `cache` sections, if set. */
function valueAt(system: SystemUnderTest, path: string): unknown {
  let at: unknown = system;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** The fields of `uses` the system's config does not declare. */
export function missingFields(system: SystemUnderTest, uses: readonly ConfigField[]): ConfigField[] {
  return uses.filter((f) => valueAt(system, f) === undefined);
}

/** Why a drill does not apply to this system, or undefined when it does. */
export function notApplicable(
  system: SystemUnderTest,
  drillId: string,
  uses: readonly ConfigField[] | undefined,
): string | undefined {
  const missing = missingFields(system, uses ?? []);
  if (!missing.length) return undefined;
  return `${system.configFile}: drill ${drillId} needs ${missing.join(', ')}, which this config does not declare (docs/config.md)`;
}

/** A config value a scenario reads: present (checked before the run), else a UsageError naming the field. */
export function configured<T>(system: SystemUnderTest, path: ConfigField): T {
  const v = valueAt(system, path);
  if (v === undefined)
    throw new UsageError(
      `${system.configFile}: ${path}: required by this drill, not declared (docs/config.md)`,
    );
  return v as T;
}
