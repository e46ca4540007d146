/**
 * What a run's kind cluster left on the machine, recorded while it exists (`<kube cache>/kind/<run id>.json`:
 * the cluster's name and the routes to its nodes' pod ranges), so that `drill cleanup` can delete the cluster of
 * a killed run and remove its routes, and the leak check can tell a cluster teardown did not delete.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../core/exec.ts';
import type { SweepOptions } from '../backend.ts';
import { kubeCacheDir } from './paths.ts';

export interface KindRecord {
  runId: string;
  name: string;
  routes: { cidr: string; via: string }[];
}

function recordDir(env: NodeJS.ProcessEnv): string {
  return join(kubeCacheDir(env), 'kind');
}

/** Write (or rewrite) the run's record; returns what removes it. */
export function writeKindRecord(r: KindRecord, env: NodeJS.ProcessEnv = process.env): () => void {
  mkdirSync(recordDir(env), { recursive: true, mode: 0o700 });
  const file = join(recordDir(env), `${r.runId}.json`);
  writeFileSync(file, JSON.stringify(r), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

export function kindRecords(env: NodeJS.ProcessEnv = process.env): (KindRecord & { file: string })[] {
  let names: string[];
  try {
    names = readdirSync(recordDir(env)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: (KindRecord & { file: string })[] = [];
  for (const n of names) {
    const file = join(recordDir(env), n);
    try {
      out.push({ ...(JSON.parse(readFileSync(file, 'utf8')) as KindRecord), file });
    } catch {
      // a half-written record: nothing to act on
    }
  }
  return out;
}

/**
 * `drill cleanup`: the kind clusters of runs that are over (the same rules as the offline cluster's): their
 * routes removed, the cluster deleted, the record removed. Returns how many were found.
 */
export async function sweepKindClusters(
  opts: SweepOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let found = 0;
  for (const r of kindRecords(env)) {
    if (opts.runId && opts.runId !== r.runId) continue;
    if (opts.active.has(r.runId) && !opts.force) {
      opts.log(`skip kind cluster ${r.name}: run ${r.runId} still in progress; --force to remove`);
      continue;
    }
    if (opts.ended && !opts.ended.has(r.runId) && !opts.runId && !opts.force) {
      opts.log(
        `skip kind cluster ${r.name}: no record shows run ${r.runId} is over; drill cleanup --run ${r.runId} to remove it`,
      );
      continue;
    }
    found++;
    if (opts.dryRun) {
      opts.log(`would delete kind cluster ${r.name} and ${r.routes.length} routes (run ${r.runId})`);
      continue;
    }
    for (const { cidr, via } of r.routes) {
      const del = await run('ip', ['route', 'del', cidr, 'via', via], { check: false, timeoutMs: 10_000 });
      if (del.exitCode === 0) opts.log(`removed route ${cidr} via ${via} (run ${r.runId})`);
    }
    const del = await run('kind', ['delete', 'cluster', '--name', r.name], {
      check: false,
      timeoutMs: 300_000,
    });
    if (del.exitCode !== 0) {
      opts.log(`kind delete cluster --name ${r.name} failed: ${del.stderr.trim().split('\n').at(-1) ?? ''}`);
      continue;
    }
    opts.log(`deleted kind cluster ${r.name} (run ${r.runId})`);
    rmSync(r.file, { force: true });
  }
  return found;
}
