/**
 * The docker estate's monitoring image: Prometheus, Alertmanager and the postgres, redis and node exporters from
 * Debian's packages (`prometheus`, `prometheus-alertmanager`, `prometheus-postgres-exporter`,
 * `prometheus-redis-exporter`, `prometheus-node-exporter`), one image for the five containers.
 *
 * It is a layer on the offline base (`drillbook/debian:bookworm`): `apt-get install` of the five packages from
 * the Debian mirror apt is configured with on this machine, the one debootstrap uses for the base. No container
 * registry is involved. One image rather than five: the five packages share their dependencies, a docker estate
 * runs all five together, and one build step (about 30 s) is cheaper than five. The base itself is left as it
 * is (PostgreSQL, Redis, Node): the estate's other roles do not carry the monitoring's 450 MB.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { run } from '../../core/exec.ts';
import { PrerequisiteError } from '../../core/errors.ts';
import { builtImage, type ImageBuilt, inspectImage } from './engine.ts';
import { BUILT_BASE } from './images.ts';

export const MONITORING_IMAGE = 'drillbook/monitoring:bookworm';
export const MONITORING_PACKAGES = [
  'prometheus',
  'prometheus-alertmanager',
  'prometheus-node-exporter',
  'prometheus-postgres-exporter',
  'prometheus-redis-exporter',
];
/** Labels: the base image it was built on, and the recipe (bumped when what goes in changes). */
export const LABEL_MONITORING_BASE = 'drillbook.monitoring-base';
export const LABEL_MONITORING_RECIPE = 'drillbook.monitoring-recipe';
const RECIPE = '1';

/** The monitoring image this machine runs: DRILL_IMAGE_MONITORING, else the one `drill images build` makes. */
export function monitoringImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.DRILL_IMAGE_MONITORING || MONITORING_IMAGE;
}

/** The Dockerfile of the monitoring image; pure. The mirror comes in as a build argument. */
export function monitoringDockerfile(base: string, baseId: string): string {
  return [
    `FROM ${base}`,
    'ARG MIRROR',
    `RUN printf 'deb %s bookworm main\\n' "$MIRROR" > /etc/apt/sources.list \\`,
    ' && apt-get update -qq \\',
    ` && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${MONITORING_PACKAGES.join(' ')} > /dev/null \\`,
    ' && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc /usr/share/man /etc/apt/sources.list',
    `LABEL drillbook.image=monitoring ${LABEL_MONITORING_BASE}=${baseId} ${LABEL_MONITORING_RECIPE}=${RECIPE}`,
    '',
  ].join('\n');
}

/** Why the monitoring image cannot be used here (missing, or built on another base), or undefined. */
export async function monitoringImageProblem(
  d: Dockerode,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const image = monitoringImage(env);
  const have = await inspectImage(d, image);
  if (!have) return `image ${image} is not on the Docker engine`;
  if (env.DRILL_IMAGE_MONITORING) return undefined;
  if (have.labels[LABEL_MONITORING_RECIPE] !== RECIPE) return `image ${image} was built by an older recipe`;
  return undefined;
}

/**
 * Build the monitoring image on the offline base, or reuse it when it was built on the current base by the
 * current recipe.
 */
export async function ensureMonitoringImage(
  d: Dockerode,
  mirror: string | undefined,
  log: (line: string) => void,
): Promise<ImageBuilt> {
  const base = await inspectImage(d, BUILT_BASE);
  if (!base) throw new PrerequisiteError(`the base image ${BUILT_BASE} is missing`, 'npx drill images build');
  const have = await inspectImage(d, MONITORING_IMAGE);
  if (have?.labels[LABEL_MONITORING_BASE] === base.id && have.labels[LABEL_MONITORING_RECIPE] === RECIPE) {
    log(`reuse ${MONITORING_IMAGE}`);
    return { image: MONITORING_IMAGE, action: 'reused', ms: 0, sizeBytes: have.size };
  }
  if (!mirror)
    throw new PrerequisiteError(
      'no Debian mirror found in /etc/apt/sources.list(.d) for the monitoring image',
      'pass --mirror URL (your Debian mirror) or set DRILL_DEBIAN_MIRROR',
    );
  const started = performance.now();
  const ctx = mkdtempSync(join(tmpdir(), 'drill-monitoring-image-'));
  try {
    writeFileSync(join(ctx, 'Dockerfile'), monitoringDockerfile(BUILT_BASE, base.id));
    log(`build ${MONITORING_IMAGE} on ${BUILT_BASE}: apt-get install ${MONITORING_PACKAGES.join(' ')}`);
    // The build's network is the host's: apt reaches the mirror the way the host's own apt does.
    await run(
      'docker',
      [
        'build',
        '--quiet',
        '--network',
        'host',
        '--build-arg',
        `MIRROR=${mirror}`,
        '--tag',
        MONITORING_IMAGE,
        ctx,
      ],
      { timeoutMs: 900_000 },
    );
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return builtImage(d, MONITORING_IMAGE, have, started);
}
