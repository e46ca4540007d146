/**
 * Every backend drillbook knows, one line each, in the order `--backend auto` prefers them. A backend is
 * added by writing its folder (an object implementing `Backend`) and naming it here.
 */
import { UsageError } from '../core/errors.ts';
import type { Backend } from './backend.ts';
import { dockerBackend } from './docker/index.ts';
import { kubeBackend } from './kube/index.ts';
import { localBackend } from './local/index.ts';

export const BACKENDS: readonly Backend[] = [dockerBackend, localBackend, kubeBackend];

/** The backend of that name; a name no backend has is a usage error (exit 2). */
export function backendNamed(name: string): Backend {
  const b = BACKENDS.find((x) => x.name === name);
  if (!b) throw new UsageError(`no backend '${name}' (backends: ${BACKENDS.map((x) => x.name).join(', ')})`);
  return b;
}
