/**
 * The docker backend: the estate as containers through testcontainers, one network per drill, everything
 * labelled with the run id. Heavy modules (testcontainers, the image builder) load only when used.
 */
import { PrerequisiteError } from '../../core/errors.ts';
import type { Backend } from '../backend.ts';
import { dockerImages, dockerPrerequisites, imagesRemedy } from './checks.ts';
import { inspectImage, requireEngine, sweepSync } from './engine.ts';
import { findDockerLeaks, sweepDocker } from './sweep.ts';
import { partitionLeaks, partitionProblem, sweepPartitions } from '../host/partition.ts';

export const dockerBackend: Backend = {
  name: 'docker',
  description: 'containers through testcontainers',
  capabilities: [
    'standby',
    'sync-replication',
    'redis',
    'spare-postgres',
    'compose',
    'sites',
    'site-partition',
    'site-failback',
    'site-spare-postgres',
    'monitoring',
  ],

  async prerequisites(env) {
    const found = await dockerPrerequisites(env);
    const cut = await partitionProblem(['INPUT', 'DOCKER-USER']);
    found.push({
      what: 'iptables (a site cut off the network)',
      ok: !cut,
      detail: cut ?? 'root, iptables, the DOCKER-USER chain',
      ...(cut ? { remedy: 'run as root with iptables, on the machine of the Docker engine' } : {}),
      onlyFor: 'site-partition',
    });
    return found;
  },

  /** The engine answers, the role images exist, and the app images match the sources (rebuilt if not). */
  async prepare({ needs, log, system }) {
    const d = await requireEngine();
    // The system's compose file must interpolate with what drillbook gives it (exit 2 naming the field).
    const compose = system?.docker?.compose;
    if (system && compose?.run) await (await import('./compose.ts')).checkComposeFile(system, compose);
    const images = await dockerImages();
    const roles = ['postgres', 'node', ...(needs.includes('redis') ? (['redis'] as const) : [])] as const;
    for (const role of roles) {
      if (!(await inspectImage(d, images[role])))
        throw new PrerequisiteError(`image ${images[role]} is not on the Docker engine`, imagesRemedy());
    }
    if (needs.includes('monitoring')) {
      const { monitoringImageProblem } = await import('./monitoring-image.ts');
      const problem = await monitoringImageProblem(d);
      if (problem) throw new PrerequisiteError(problem, imagesRemedy());
    }
    const { ensureAppImages } = await import('./build.ts');
    const built = await ensureAppImages(d, images, () => undefined);
    for (const b of built.filter((r) => r.action === 'built'))
      log(`rebuilt ${b.image} (the app's sources changed since it was built)`);
  },

  async provision(topology, ctx) {
    return (await import('./docker-backend.ts')).provisionDocker(topology, ctx);
  },

  async leaks(runId, drillId) {
    return [...(await findDockerLeaks(runId, drillId)), ...(await partitionLeaks(runId, drillId))];
  },
  async sweep(opts) {
    return (await sweepDocker(opts)) + (await sweepPartitions(opts));
  },
  sweepNow: sweepSync,

  commands: {
    images: {
      usage: [
        "images build [--force] [--mirror URL]      build the docker backend's images offline (Debian packages)",
        'images list                                which image each docker role uses, and why',
      ],
      async run(argv, io) {
        return (await import('./images-command.ts')).imagesCommand(argv, io);
      },
    },
  },
};
