import { loadConfig, parseConfig } from '../../config/load.ts';

/** The images a docker estate runs: one per role, and the repository of the demo app's release images. */
export interface ImageSet {
  postgres: string;
  redis: string;
  /** Runs the router (and is what the app images are built on). */
  node: string;
  /** Repository of the app images; a release is a tag: `${app}:${version}`. */
  app: string;
}

export type ImageRole = keyof ImageSet;
export const IMAGE_ROLES: readonly ImageRole[] = ['postgres', 'redis', 'node', 'app'];

/** Public images: what a machine with a registry runs by default. */
export const PUBLIC_IMAGES: ImageSet = {
  postgres: 'postgres:15-bookworm',
  redis: 'redis:7-bookworm',
  node: 'node:20-bookworm-slim',
  app: 'drillbook/app',
};

/**
 * What `drill images build` makes offline from Debian's packages: one root filesystem (PostgreSQL 15,
 * Redis 7 and the host's Node) that the three roles share on disk; postgres adds a thin layer of template clusters.
 */
export const BUILT_BASE = 'drillbook/debian:bookworm';
export const BUILT_IMAGES: ImageSet = {
  postgres: 'drillbook/postgres:15',
  redis: 'drillbook/redis:7',
  node: 'drillbook/node:20',
  app: 'drillbook/app',
};

/**
 * Where `drill images build` puts template clusters in the postgres image (one per superuser and WAL segment
 * size, `drill-wal16-app`, `drill-wal4-app`): a primary copies one instead of running initdb (harness/estate/
 * local/pg-template.ts says why). An image without them (the public one) gets initdb as before.
 */
export const PG_TEMPLATES = '/var/lib/postgresql/templates';
/**
 * What ends a template's name: what it holds besides initdb's cluster (the application's database,
 * TEMPLATE_SQL). A template of another content gets another name, so an image and a harness that disagree about
 * it never meet: the harness finds no template of its kind and runs initdb.
 */
export const PG_TEMPLATE_SUFFIX = '-app';
/** The drill config file (optional), at the project root. */
export const CONFIG_FILE = 'drillbook.config.json';

const ENV_NAMES: Record<ImageRole, string> = {
  postgres: 'DRILL_IMAGE_POSTGRES',
  redis: 'DRILL_IMAGE_REDIS',
  node: 'DRILL_IMAGE_NODE',
  app: 'DRILL_IMAGE_APP',
};

/** Where each image came from, so `drill doctor` and `--backend auto` can say why. */
export type ImageSource = 'env' | 'config' | 'built' | 'public';

export interface ResolvedImages {
  images: ImageSet;
  sources: Record<ImageRole, ImageSource>;
}

/**
 * The images the config file names (its `docker.images` section, and the system's own app, postgres and redis
 * images), read and validated by the one config loader.
 */
export function readImageConfig(root: string): Partial<ImageSet> {
  const { config } = loadConfig(root, process.env);
  const s = config.system;
  return {
    ...config.docker?.images,
    ...(s?.postgres.image ? { postgres: s.postgres.image } : {}),
    ...(s?.redis.image ? { redis: s.redis.image } : {}),
    ...(s?.docker ? { app: s.docker.image } : {}),
  };
}

/** Pure validation of a parsed config's images, by the config's one schema (config/schema.ts). */
export function parseImageConfig(raw: unknown): Partial<ImageSet> {
  return parseConfig(JSON.stringify(raw), CONFIG_FILE).docker?.images ?? {};
}

/**
 * Pick each role's image: an environment variable (DRILL_IMAGE_POSTGRES, ...), then drillbook.config.json, then
 * the offline-built image when it is present on the engine, else the public image. Pure: `present` answers
 * whether an image exists locally.
 */
export function resolveImages(
  env: NodeJS.ProcessEnv,
  config: Partial<ImageSet>,
  present: (image: string) => boolean,
): ResolvedImages {
  const images = {} as ImageSet;
  const sources = {} as Record<ImageRole, ImageSource>;
  for (const role of IMAGE_ROLES) {
    const fromEnv = env[ENV_NAMES[role]];
    const fromConfig = config[role];
    const [image, source]: [string, ImageSource] = fromEnv
      ? [fromEnv, 'env']
      : fromConfig
        ? [fromConfig, 'config']
        : // The app's release images are always this project's own, built here.
          role === 'app' || present(BUILT_IMAGES[role])
          ? [BUILT_IMAGES[role], 'built']
          : [PUBLIC_IMAGES[role], 'public'];
    images[role] = image;
    sources[role] = source;
  }
  return { images, sources };
}

/** The app's release image for a version. */
export function appImage(images: ImageSet, version: string): string {
  return `${images.app}:${version}`;
}
