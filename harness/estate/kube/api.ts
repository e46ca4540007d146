import type { AppsV1Api, CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { EstateError } from '../../core/errors.ts';
import { poll } from '../../core/poll.ts';

/** The harness's side of a cluster: typed API clients for one kubeconfig (and context). */
export interface KubeApi {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
}

export async function kubeApi(kubeconfig: string, context?: string): Promise<KubeApi> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  if (context) kc.setCurrentContext(context);
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api) };
}

/** 404 from the API: the object is not there. */
export function notFound(e: unknown): boolean {
  const code =
    (e as { code?: number; statusCode?: number }).code ?? (e as { statusCode?: number }).statusCode;
  return code === 404;
}

export function podReady(p: V1Pod | undefined): boolean {
  return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** Why a pod is not running, from its container statuses ("CrashLoopBackOff", "ErrImageNeverPull: ..."). */
export function podTrouble(p: V1Pod): string | undefined {
  for (const s of p.status?.containerStatuses ?? []) {
    const w = s.state?.waiting;
    if (w?.reason && w.reason !== 'ContainerCreating')
      return `${w.reason}${w.message ? `: ${w.message}` : ''}`;
    const t = s.state?.terminated;
    if (t) return `exited ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}`;
  }
  return p.status?.phase === 'Failed' ? `pod failed: ${p.status.reason ?? ''}` : undefined;
}

/** Wait until a pod is Ready; fails at once if it can never be (image missing, exited). */
export async function waitPodReady(
  api: KubeApi,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<V1Pod> {
  const r = await poll<V1Pod | { fatal: string }>(
    async () => {
      const p = await api.core.readNamespacedPod({ name, namespace });
      if (podReady(p)) return p;
      const trouble = podTrouble(p);
      if (trouble && /ErrImageNeverPull|InvalidImageName|CreateContainerConfigError|exited/.test(trouble))
        return { fatal: `pod ${name}: ${trouble}` };
      const unscheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status !== 'True');
      const why =
        trouble ??
        (unscheduled
          ? `not scheduled (${unscheduled.reason ?? ''} ${unscheduled.message ?? ''})`
          : undefined);
      throw new Error(`pod ${name} ${p.status?.phase ?? 'pending'}${why ? `: ${why}` : ''}`);
    },
    { subject: `pod ${name} to be ready`, timeoutMs, intervalMs: 100 },
  );
  if ('fatal' in r) throw new EstateError(r.fatal);
  return r;
}

/** Wait until a pod is gone from the API. */
export async function waitPodGone(
  api: KubeApi,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<void> {
  await poll(
    async () => {
      try {
        await api.core.readNamespacedPod({ name, namespace });
        return false;
      } catch (e) {
        if (notFound(e)) return true;
        throw e;
      }
    },
    { subject: `pod ${name} to be deleted`, timeoutMs, intervalMs: 100 },
  );
}

/** The container id on the node's engine of a pod's (first) container: "docker://<id>" -> "<id>". */
export function containerId(p: V1Pod | undefined): string | undefined {
  return p?.status?.containerStatuses?.[0]?.containerID?.replace(/^[a-z]+:\/\//, '');
}

/** Wait until the namespace is gone from the API (its finalization done). */
export async function waitNamespaceGone(api: KubeApi, name: string, timeoutMs: number): Promise<void> {
  await poll(
    async () => {
      try {
        await api.core.readNamespace({ name });
        return false;
      } catch (e) {
        if (notFound(e)) return true;
        throw e;
      }
    },
    { subject: `namespace ${name} to be deleted`, timeoutMs, intervalMs: 250 },
  );
}
