/**
 * The one place that knows which backend provisions an estate and how its leftovers are found.
 */
import { findLeaks } from './host/leaks.ts';
import { provisionLocal, type ProvisionContext } from './local/local-backend.ts';
import type { BackendName, Estate, EstateResources, Topology } from './types.ts';

export async function provisionEstate(
  backend: BackendName,
  topology: Topology,
  ctx: ProvisionContext,
): Promise<Estate> {
  if (backend === 'docker')
    return (await import('./docker/docker-backend.ts')).provisionDocker(topology, ctx);
  return provisionLocal(topology, ctx);
}

/** What is still there after teardown: processes, ports and directories; on docker also labelled containers, networks, volumes. */
export async function findEstateLeaks(
  backend: BackendName,
  runId: string,
  resources: EstateResources,
): Promise<string[]> {
  const leaks = await findLeaks(runId, resources);
  if (backend === 'docker')
    leaks.push(...(await (await import('./docker/docker-backend.ts')).findDockerLeaks(runId)));
  return leaks;
}
