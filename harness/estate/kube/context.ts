/**
 * An existing cluster, used only when named twice: `--kube-context NAME --allow-context NAME`. drillbook then
 * works inside a namespace it creates and labels with the run id, never anything else; runbook blocks get a
 * kubeconfig of the run holding that one context (so a `kubectl` line can reach no other cluster), and a record
 * per namespace lets `drill cleanup` find what a killed run left, by label, in the contexts runs were allowed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../../core/errors.ts';
import { kubeCacheDir } from './paths.ts';

/** The validated pair of flags: the context both name. */
export interface ContextFlags {
  kubeContext?: string | undefined;
  allowContext?: string | undefined;
}

/**
 * The context the two flags name, or undefined when neither is given. One without the other, or two different
 * names, is a usage error: an existing cluster is used only when named twice, the same way.
 */
export function contextFromFlags(flags: ContextFlags): string | undefined {
  const { kubeContext: use, allowContext: allow } = flags;
  if (use === undefined && allow === undefined) return undefined;
  if (use === undefined)
    throw new UsageError(
      `run: --allow-context ${allow ?? ''} needs --kube-context ${allow ?? ''} too (an existing cluster is used only when named twice)`,
    );
  if (allow === undefined)
    throw new UsageError(
      `run: --kube-context ${use} needs --allow-context ${use} too (an existing cluster is used only when named twice)`,
    );
  if (use.trim() === '') throw new UsageError('run: --kube-context: empty context name');
  if (use !== allow)
    throw new UsageError(
      `run: --kube-context '${use}' and --allow-context '${allow}' name different contexts; both must name the same one`,
    );
  return use;
}

/** The kubeconfig files kubectl would read: `KUBECONFIG` (a list), else `~/.kube/config`. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv): string[] {
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  return list.length ? list.map((f) => resolve(f)) : [join(env.HOME ?? homedir(), '.kube', 'config')];
}

/** The first kubeconfig file that has the context, loaded. */
export async function findContext(
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<{ file: string; kc: KubeConfig } | undefined> {
  const k8s = await import('@kubernetes/client-node');
  for (const file of kubeconfigFiles(env)) {
    if (!existsSync(file)) continue;
    const kc = new k8s.KubeConfig();
    try {
      kc.loadFromFile(file);
    } catch (e) {
      throw new UsageError(`--kube-context ${name}: ${file} is not a readable kubeconfig: ${String(e)}`);
    }
    if (kc.getContextObject(name)) return { file, kc };
  }
  return undefined;
}

/** The named context must exist in the kubeconfig kubectl would read: else exit 2, nothing started. */
export async function requireContext(name: string, env: NodeJS.ProcessEnv): Promise<string> {
  const found = await findContext(name, env);
  if (!found)
    throw new UsageError(
      `run: --kube-context ${name}: no such context in ${kubeconfigFiles(env).join(', ')} (see \`kubectl config get-contexts\`)`,
    );
  return found.file;
}

/**
 * A kubeconfig holding only that context, its cluster and its user, current: what the harness and the run's
 * runbook blocks use (written 0600 in the run directory, removed with it).
 */
export async function writeRunKubeconfig(name: string, env: NodeJS.ProcessEnv, to: string): Promise<string> {
  const found = await findContext(name, env);
  if (!found) throw new UsageError(`--kube-context ${name}: the context is gone from the kubeconfig`);
  const { kc } = found;
  const ctx = kc.getContextObject(name);
  const cluster = ctx ? kc.getCluster(ctx.cluster) : null;
  const user = ctx?.user ? kc.getUser(ctx.user) : null;
  if (!ctx || !cluster)
    throw new UsageError(`--kube-context ${name}: the context names no cluster the kubeconfig has`);
  const k8s = await import('@kubernetes/client-node');
  const only = new k8s.KubeConfig();
  only.loadFromOptions({
    clusters: [cluster],
    users: user ? [user] : [],
    contexts: [ctx],
    currentContext: name,
  });
  writeFileSync(to, only.exportConfig(), { mode: 0o600 });
  return to;
}

/** What a run that used an existing context left for `drill cleanup`: where, and which namespace. */
export interface ContextRecord {
  runId: string;
  drillId: string;
  /** The user's kubeconfig file that has the context (not a copy: no credentials are kept). */
  kubeconfig: string;
  context: string;
  namespace: string;
}

/** Records of namespaces in existing clusters, one file per drill, in the machine's kube cache. */
export function contextRecordDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(kubeCacheDir(env), 'contexts');
}

function recordFile(runId: string, drillId: string, env: NodeJS.ProcessEnv): string {
  return join(contextRecordDir(env), `${runId}--${drillId}.json`);
}

export function writeContextRecord(r: ContextRecord, env: NodeJS.ProcessEnv = process.env): () => void {
  mkdirSync(contextRecordDir(env), { recursive: true, mode: 0o700 });
  const file = recordFile(r.runId, r.drillId, env);
  writeFileSync(file, JSON.stringify(r), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

export function contextRecords(env: NodeJS.ProcessEnv = process.env): (ContextRecord & { file: string })[] {
  const dir = contextRecordDir(env);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: (ContextRecord & { file: string })[] = [];
  for (const n of names) {
    try {
      out.push({ ...(JSON.parse(readFileSync(join(dir, n), 'utf8')) as ContextRecord), file: join(dir, n) });
    } catch {
      // a half-written record: nothing to act on
    }
  }
  return out;
}
