/** What the docker backend needs on this machine: an engine, the role images, app images matching the sources. */
import type { Prerequisite } from '../backend.ts';
import { monitoringImage, monitoringImageProblem } from './monitoring-image.ts';
import { appImagesProblem } from './build.ts';
import {
  DOCKER_REMEDY,
  dockerode,
  engineProblem,
  inspectImage,
  requireEngine,
  RYUK_IMAGE,
} from './engine.ts';
import { BUILT_IMAGES, IMAGE_ROLES, readImageConfig, resolveImages, type ImageSet } from './images.ts';

/** The images this machine would run, with what is present (async: one inspect per built image). */
export async function dockerImages(env: NodeJS.ProcessEnv = process.env): Promise<ImageSet> {
  const d = await requireEngine();
  // Asked together: one engine round trip's wait instead of one per image.
  const built = IMAGE_ROLES.map((r) => BUILT_IMAGES[r]);
  const found = await Promise.all(built.map((image) => inspectImage(d, image)));
  const present = new Set(built.filter((_, i) => found[i]));
  return resolveImages(env, readImageConfig(process.cwd()), (i) => present.has(i)).images;
}

/** Why the docker backend cannot run here (engine, images), or undefined when it can. */
export async function dockerProblem(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const [missing] = (await dockerPrerequisites(env)).filter((p) => !p.ok);
  return missing ? `${missing.what}: ${missing.detail}` : undefined;
}

export function imagesRemedy(): string {
  return `run \`npx drill images build\` (builds them offline from Debian packages) or name images in the config file (docker.images, docs/config.md); ${DOCKER_REMEDY.split(', then')[0] ?? ''}`;
}

/** The engine, the testcontainers reaper (optional), each role's image and the app's release images. */
export async function dockerPrerequisites(env: NodeJS.ProcessEnv): Promise<Prerequisite[]> {
  const problem = await engineProblem();
  if (problem) return [{ what: 'Docker engine', ok: false, detail: problem, remedy: DOCKER_REMEDY }];
  const d = await dockerode();
  const v = await d.version();
  const found: Prerequisite[] = [
    { what: 'Docker engine', ok: true, detail: `${v.Version} (API ${v.ApiVersion})` },
    {
      what: 'testcontainers reaper',
      ok: true,
      detail: (await inspectImage(d, RYUK_IMAGE))
        ? `${RYUK_IMAGE} present (used unless TESTCONTAINERS_RYUK_DISABLED=true)`
        : 'absent: run-id labels and `drill cleanup` sweep instead',
    },
  ];
  const images = await dockerImages(env);
  for (const role of ['postgres', 'redis', 'node'] as const) {
    const have = Boolean(await inspectImage(d, images[role]));
    found.push({
      what: `${role} image`,
      ok: have,
      detail: have ? images[role] : `${images[role]} is not on the engine`,
      ...(have ? {} : { remedy: 'npx drill images build (offline) or docker pull' }),
      ...(role === 'redis' ? { onlyFor: 'redis' as const } : {}),
    });
  }
  const monitoring = await monitoringImageProblem(d, env);
  found.push({
    what: 'monitoring image',
    ok: !monitoring,
    detail: monitoring ?? `${monitoringImage(env)} (Prometheus, Alertmanager, exporters)`,
    ...(monitoring ? { remedy: 'npx drill images build (offline)' } : {}),
    onlyFor: 'monitoring',
  });
  const app = await appImagesProblem(d, images);
  found.push(
    app
      ? { what: 'app images', ok: false, detail: app, remedy: 'npx drill images build' }
      : { what: 'app images', ok: true, detail: `${images.app}:<release>` },
  );
  return found;
}
