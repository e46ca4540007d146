/**
 * examples/inventory, the second system drillbook is tested against: where it is, what running it needs, and
 * copies of it with a changed config, for the own-system tests of every backend.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ROOT } from '../cli.ts';
import { skipWithoutDocker } from '../docker.ts';

export const EXAMPLE = join(ROOT, 'examples', 'inventory');
export const CONFIG = join(EXAMPLE, 'drillbook.config.yaml');

/**
 * Whether the example's local drills are skipped: it runs on Debian's python3 with psycopg2. Under CI a missing
 * package fails the file (CI installs it); elsewhere the skip says how to get it.
 */
export function skipWithoutPython(what: string): boolean {
  if (existsSync('/usr/lib/python3/dist-packages/psycopg2/__init__.py')) return false;
  const missing = 'python3-psycopg2 is not installed (apt-get install python3-psycopg2)';
  if (process.env.CI) throw new Error(`CI must install it: ${missing}`);
  console.warn(`skipping ${what}: ${missing}`);
  return true;
}

/** Whether the example's docker drills are skipped: they need an engine, the images and docker-compose. */
export function skipWithoutCompose(what: string): Promise<boolean> {
  return skipWithoutDocker(what, () => {
    try {
      execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
      return Promise.resolve(undefined);
    } catch {
      return Promise.resolve('docker-compose is not installed (apt-get install docker-compose)');
    }
  });
}

/** A copy of the example; without its config, it is the user's repository before `drill init`. */
export function exampleCopy(opts: { withConfig: boolean } = { withConfig: true }): string {
  const dir = mkdtempSync(join(tmpdir(), 'drill-own-'));
  cpSync(EXAMPLE, dir, { recursive: true });
  if (!opts.withConfig) rmSync(join(dir, 'drillbook.config.yaml'));
  return dir;
}

/** The example's config with one change, in a copy of the example; returns the config's path. */
export function exampleWith(edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const path = join(exampleCopy(), 'drillbook.config.yaml');
  const doc = parseDocument(readFileSync(path, 'utf8'));
  edit(doc);
  writeFileSync(path, doc.toString());
  return path;
}

/** The run directories a run left in the temporary directory. */
export function runDirsOf(runId: string): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`drillbook-${runId}`));
}
