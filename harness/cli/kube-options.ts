/**
 * The flags of `drill run` for an existing Kubernetes cluster: `--kube-context NAME --allow-context NAME`, both
 * naming the same context of the kubeconfig kubectl would read. Checked before anything starts (exit 2): one
 * without the other, two names, or a context the kubeconfig does not have.
 */
import { UsageError } from '../core/errors.ts';
import { contextFromFlags, requireContext } from '../estate/kube/context.ts';

export const KUBE_OPTIONS = {
  'kube-context': { type: 'string' },
  'allow-context': { type: 'string' },
} as const;

/** The kube backend's options of the run, or undefined without the flags. */
export async function kubeContextOptions(
  values: { 'kube-context'?: string; 'allow-context'?: string; backend?: string },
  env: NodeJS.ProcessEnv,
): Promise<{ kubeContext: string; kubeconfigFile: string } | undefined> {
  if (values.backend === 'kube') await checkKubeEnv(env);
  const context = contextFromFlags({
    kubeContext: values['kube-context'],
    allowContext: values['allow-context'],
  });
  if (context === undefined) return undefined;
  if (values.backend !== undefined && values.backend !== 'kube' && values.backend !== 'auto')
    throw new UsageError(`run: --kube-context applies to --backend kube, not '${values.backend}'`);
  return { kubeContext: context, kubeconfigFile: await requireContext(context, env) };
}

/**
 * The kube backend's variables, checked before anything starts (exit 2): `DRILL_CLUSTER_SOURCE` (kind or
 * offline) and `DRILL_KUBE_NODE_ADDRESS` (an IPv4 address of this machine).
 */
async function checkKubeEnv(env: NodeJS.ProcessEnv): Promise<void> {
  const { chooseClusterSource } = await import('../estate/kube/sources.ts');
  chooseClusterSource({ forced: env.DRILL_CLUSTER_SOURCE });
  if (env.DRILL_KUBE_NODE_ADDRESS) {
    const { offlineNodeAddress } = await import('../estate/kube/offline-source.ts');
    const { localAddresses } = await import('../estate/kube/existing-source.ts');
    offlineNodeAddress(env, await localAddresses());
  }
}
