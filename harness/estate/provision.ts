/**
 * The one place that knows which backend provisions an estate and how its leftovers are found.
 */
import { withInfraApi } from './infra-api.ts';
import { findLeaks } from './local/leaks.ts';
import { provisionLocal, type ProvisionContext } from './local/local-backend.ts';
import type { BackendName, Estate, EstateResources, Topology } from './types.ts';

export async function provisionEstate(
  backend: BackendName,
  topology: Topology,
  ctx: ProvisionContext,
): Promise<Estate> {
  const estate =
    backend === 'docker'
      ? await (await import('./docker/docker-backend.ts')).provisionDocker(topology, ctx)
      : await provisionLocal(topology, ctx);
  // Whatever the backend, blocks reach the infrastructure without a command (endpoint, fencing) through it.
  return withInfraApi(estate, ctx.teardown);
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
