/**
 * The release images of a system under test that declares `system.docker.build` (examples/inventory): made by
 * `drill images build` on the offline base, with no registry. One image per release, `<image>:<release>`:
 * `apt-get install` of the declared Debian packages (one layer, shared by every release through the build
 * cache), the declared files copied to the working directory, the release's `env` baked in, the command. The
 * label `drillbook.system-source` fingerprints what went in; a current image is reused.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import type Dockerode from 'dockerode';
import type { SystemUnderTest } from '../../config/system.ts';
import { run } from '../../core/exec.ts';
import { PrerequisiteError } from '../../core/errors.ts';
import { builtImage, type ImageBuilt, inspectImage } from './engine.ts';
import { BUILT_BASE } from './images.ts';

export const LABEL_SYSTEM_SOURCE = 'drillbook.system-source';
const LABEL_RELEASE = 'drillbook.release';
const RECIPE = '1';

type Build = NonNullable<NonNullable<SystemUnderTest['docker']>['build']>;

/** The release image of a system: DRILL_IMAGE_APP or `system.docker.image`, tagged with the release. */
export function systemImage(system: SystemUnderTest, version: string, env = process.env): string {
  return `${env.DRILL_IMAGE_APP || system.docker?.image || 'app'}:${version}`;
}

function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.name !== '__pycache__' && e.name !== '.git' && e.name !== 'node_modules')
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => listFiles(join(path, e.name)));
}

/** sha256 of what a release image is made of: base, recipe, packages, files, command, the release's env. */
export function systemSourceHash(
  build: Build,
  baseId: string,
  version: string,
  env: Record<string, string>,
): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify({
      recipe: RECIPE,
      baseId,
      packages: build.packages,
      workdir: build.workdir,
      command: build.command,
      version,
      env,
    }),
  );
  for (const top of build.copy) {
    for (const file of listFiles(top)) {
      h.update(`${basename(top)}/${relative(top, file)}\0`);
      h.update(readFileSync(file));
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** The Dockerfile of one release image; pure. The mirror comes in as a build argument. */
export function systemDockerfile(
  base: string,
  build: Build,
  version: string,
  env: Record<string, string>,
  hash: string,
): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    `FROM ${base}`,
    ...(build.packages.length
      ? [
          'ARG MIRROR',
          `RUN printf 'deb %s bookworm main\\n' "$MIRROR" > /etc/apt/sources.list \\`,
          ' && apt-get update -qq \\',
          ` && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${build.packages.join(' ')} > /dev/null \\`,
          ' && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc /usr/share/man /etc/apt/sources.list',
        ]
      : []),
    `COPY files/ ${build.workdir}/`,
    `WORKDIR ${build.workdir}`,
    ...(Object.keys(env).length
      ? [
          `ENV ${Object.entries(env)
            .map(([k, v]) => `${k}=${q(v)}`)
            .join(' ')}`,
        ]
      : []),
    `LABEL ${LABEL_SYSTEM_SOURCE}=${hash} ${LABEL_RELEASE}=${version} org.opencontainers.image.version=${version}`,
    'USER nobody',
    `CMD ${JSON.stringify(build.command)}`,
    '',
  ].join('\n');
}

/** Why the system's release images cannot be used (missing or stale), or undefined when they are current. */
export async function systemImagesProblem(
  d: Dockerode,
  system: SystemUnderTest,
  env = process.env,
): Promise<string | undefined> {
  const build = system.docker?.build;
  for (const version of Object.keys(system.releases)) {
    const name = systemImage(system, version, env);
    const have = await inspectImage(d, name);
    if (!have) return `image ${name} is not on the Docker engine`;
    if (!build || env.DRILL_IMAGE_APP) continue;
    const base = await inspectImage(d, BUILT_BASE);
    if (!base) return `the base image ${BUILT_BASE} is missing`;
    const release = system.releases[version]?.env ?? {};
    if (have.labels[LABEL_SYSTEM_SOURCE] !== systemSourceHash(build, base.id, version, release))
      return `image ${name} was built from other sources than ${system.configFile} declares`;
  }
  return undefined;
}

/** Build (or reuse) each release image of a system that declares `system.docker.build`. */
export async function ensureSystemImages(
  d: Dockerode,
  system: SystemUnderTest,
  mirror: string | undefined,
  log: (line: string) => void,
): Promise<ImageBuilt[]> {
  const build = system.docker?.build;
  if (!build) return [];
  const base = await inspectImage(d, BUILT_BASE);
  if (!base) throw new PrerequisiteError(`the base image ${BUILT_BASE} is missing`, 'npx drill images build');
  const results: ImageBuilt[] = [];
  for (const [version, release] of Object.entries(system.releases)) {
    const name = systemImage(system, version, {});
    const hash = systemSourceHash(build, base.id, version, release.env);
    const have = await inspectImage(d, name);
    if (have?.labels[LABEL_SYSTEM_SOURCE] === hash) {
      log(`reuse ${name}`);
      results.push({ image: name, action: 'reused', ms: 0, sizeBytes: have.size });
      continue;
    }
    if (build.packages.length && !mirror)
      throw new PrerequisiteError(
        `no Debian mirror found in /etc/apt/sources.list(.d) for ${name}'s packages`,
        'pass --mirror URL (your Debian mirror) or set DRILL_DEBIAN_MIRROR',
      );
    const started = performance.now();
    const ctx = mkdtempSync(join(tmpdir(), 'drill-system-image-'));
    try {
      for (const top of build.copy)
        cpSync(top, join(ctx, 'files', basename(top)), {
          recursive: true,
          filter: (src) => !/(?:^|\/)(?:__pycache__|\.git|node_modules)$/.test(src),
        });
      writeFileSync(join(ctx, 'Dockerfile'), systemDockerfile(BUILT_BASE, build, version, release.env, hash));
      log(
        `build ${name} on ${BUILT_BASE}${build.packages.length ? `: apt-get install ${build.packages.join(' ')}` : ''}`,
      );
      // The build's network is the host's: apt reaches the mirror the way the host's own apt does.
      await run(
        'docker',
        [
          'build',
          '--quiet',
          '--network',
          'host',
          ...(mirror ? ['--build-arg', `MIRROR=${mirror}`] : []),
          '--tag',
          name,
          ctx,
        ],
        { timeoutMs: 900_000 },
      );
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
    results.push(await builtImage(d, name, have, started));
  }
  return results;
}
