/**
 * What the runner asks of a backend, by name: provision an estate, and find what its teardown left.
 */
import { findLeaks } from './host/leaks.ts';
import type { ProvisionContext } from './backend.ts';
import { withInfraApi } from './infra-api.ts';
import { backendNamed } from './registry.ts';
import type { BackendName, Estate, EstateResources, Topology } from './types.ts';

export type { ProvisionContext } from './backend.ts';

export async function provisionEstate(
  backend: BackendName,
  topology: Topology,
  ctx: ProvisionContext,
): Promise<Estate> {
  const estate = await backendNamed(backend).provision(topology, ctx);
  // Whatever the backend, blocks reach the infrastructure without a command (endpoint, fencing) through it.
  return withInfraApi(estate, ctx.teardown);
}

/**
 * What is still there after teardown: the estate's processes, ports and directories and every process labelled
 * with the run id (for every backend), and what the backend's own machinery still holds (docker: labelled
 * containers, networks, volumes).
 */
export async function findEstateLeaks(
  backend: BackendName,
  runId: string,
  resources: EstateResources,
  drillId?: string,
): Promise<string[]> {
  const leaks = await findLeaks(runId, resources, drillId);
  leaks.push(...((await backendNamed(backend).leaks?.(runId, drillId)) ?? []));
  return leaks;
}
