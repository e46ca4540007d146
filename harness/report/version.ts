import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** drillbook's own version (package.json): part of the identity of every report it writes. */
export const DRILLBOOK_VERSION: string = readVersion();

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
