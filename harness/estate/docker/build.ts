/**
 * `drill images build`: the docker estate's images, made on this machine without a registry.
 *
 * One root filesystem from Debian's packages (debootstrap --variant=minbase with postgresql-15 and
 * redis-server, the host's own `node` copied in, documentation and package caches removed) is imported once
 * and tagged for redis and node; the postgres image adds a thin layer of template clusters on it, so one large
 * layer on disk still serves the three roles. The demo app's
 * release images (one per entry of fixtures/app/releases.json) are a thin layer on the node image: the app
 * bundled into one file, and the release's configuration. Everything that exists and is current is reused.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type Dockerode from 'dockerode';
import { run } from '../../core/exec.ts';
import { CommandError, PrerequisiteError } from '../../core/errors.ts';
import { PROJECT_ROOT } from '../host/project-root.ts';
import { bundle, bundlerVersion } from './bundle.ts';
import { builtImage, inspectImage, requireEngine } from './engine.ts';
import {
  appImage,
  BUILT_BASE,
  BUILT_IMAGES,
  PG_TEMPLATE_SUFFIX,
  PG_TEMPLATES,
  type ImageSet,
} from './images.ts';
import { ensureMonitoringImage } from './monitoring-image.ts';
import { SITES_WAL_SEGMENT_MB, SUPERUSER, TEMPLATE_SQL, templateInitdbArgs } from '../postgres-config.ts';

export const LABEL_APP_SOURCE = 'drillbook.app-source';
export const LABEL_RELEASE = 'drillbook.release';
export const LABEL_PG_TEMPLATES = 'drillbook.pg-templates';
const SUITE = 'bookworm';
const PACKAGES = ['postgresql-15', 'redis-server'];
/** Bumped when what goes into the images changes in a way the source fingerprint cannot see. */
const RECIPE = '1';

export interface BuildLog {
  (line: string): void;
}

export interface BuildResult {
  image: string;
  action: 'reused' | 'built' | 'tagged';
  ms: number;
  sizeBytes?: number;
}

/** The Debian mirror apt is configured with (deb822 `.sources` or one-line `.list` files); pure. */
export function debianMirror(files: { name: string; text: string }[]): string | undefined {
  for (const { name, text } of files) {
    if (name.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (k: string) =>
          stanza
            .split('\n')
            .find((l) => l.toLowerCase().startsWith(`${k.toLowerCase()}:`))
            ?.slice(k.length + 1)
            .trim()
            .split(/\s+/)
            .filter(Boolean) ?? [];
        if (!field('Types').includes('deb') || stanza.split('\n').some((l) => /^\s*Enabled:\s*no/i.test(l)))
          continue;
        const suites = field('Suites');
        const uri = field('URIs').find((u) => /^https?:\/\//.test(u));
        if (uri && suites.some((s) => /^[a-z]+$/.test(s)) && !/security/.test(uri)) return uri;
      }
    } else if (name.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(https?:\/\/\S+)\s+[a-z]+\s/.exec(line.trim() + ' ');
        if (m?.[1] && !/security/.test(m[1]) && /debian/.test(m[1])) return m[1];
      }
    }
  }
  return undefined;
}

/** The Debian mirror to build from here: DRILL_DEBIAN_MIRROR, else the one apt is configured with. */
export function debianMirrorHere(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DRILL_DEBIAN_MIRROR ?? debianMirror(aptSourceFiles());
}

function aptSourceFiles(): { name: string; text: string }[] {
  const files: { name: string; text: string }[] = [];
  const read = (path: string) => {
    try {
      files.push({ name: path, text: readFileSync(path, 'utf8') });
    } catch {
      // absent
    }
  };
  read('/etc/apt/sources.list');
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d').sort()) read(join('/etc/apt/sources.list.d', f));
  } catch {
    // absent
  }
  return files;
}

/** sha256 over the app's sources, its release table, the lock file and the recipe: what an app image is made of. */
export async function appSourceHash(nodeImageId: string): Promise<string> {
  const h = createHash('sha256');
  h.update(`recipe ${RECIPE}\nnode-image ${nodeImageId}\nesbuild ${await bundlerVersion()}\n`);
  const appDir = join(PROJECT_ROOT, 'fixtures', 'app');
  for (const file of listFiles(appDir).filter((f) => !f.endsWith('.test.ts'))) {
    h.update(`${relative(appDir, file)}\0`);
    h.update(readFileSync(file));
  }
  const lock = join(PROJECT_ROOT, 'package-lock.json');
  if (existsSync(lock)) h.update(readFileSync(lock));
  return h.digest('hex').slice(0, 16);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The releases of the demo app and their misbehaviour (fixtures/app/releases.json). */
export function releases(): Record<string, { failMode?: string }> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'fixtures', 'app', 'releases.json'), 'utf8')) as Record<
    string,
    { failMode?: string }
  >;
}

/**
 * Build (or reuse) every image of the offline set. `force` rebuilds the base even when it exists.
 */
export async function buildImages(opts: {
  force?: boolean;
  mirror?: string;
  log: BuildLog;
}): Promise<BuildResult[]> {
  const d = await requireEngine();
  const results: BuildResult[] = [];
  const started = performance.now();
  const base = await inspectImage(d, BUILT_BASE);
  if (base && !opts.force) {
    results.push({ image: BUILT_BASE, action: 'reused', ms: 0, sizeBytes: base.size });
    opts.log(`reuse ${BUILT_BASE} (${mb(base.size)})`);
  } else {
    await buildBase(
      opts.mirror ?? process.env.DRILL_DEBIAN_MIRROR ?? debianMirror(aptSourceFiles()),
      opts.log,
    );
    results.push(await builtImage(d, BUILT_BASE, undefined, started));
  }
  const baseNow = await inspectImage(d, BUILT_BASE);
  results.push(await ensurePostgresImage(d, baseNow?.id, opts.log));
  for (const role of ['redis', 'node'] as const) {
    const name = BUILT_IMAGES[role];
    const have = await inspectImage(d, name);
    if (have?.id === baseNow?.id) {
      results.push({ image: name, action: 'reused', ms: 0 });
      continue;
    }
    const [repo, tag] = name.split(':') as [string, string];
    await d.getImage(BUILT_BASE).tag({ repo, tag });
    results.push({ image: name, action: 'tagged', ms: 0 });
    opts.log(`tag ${name} -> ${BUILT_BASE}`);
  }
  results.push(...(await ensureAppImages(d, BUILT_IMAGES, opts.log)));
  // The monitoring (Prometheus, Alertmanager, the exporters) for drills with alerts: its own image on the base.
  results.push(
    await ensureMonitoringImage(
      d,
      opts.mirror ?? process.env.DRILL_DEBIAN_MIRROR ?? debianMirror(aptSourceFiles()),
      opts.log,
    ),
  );
  return results;
}

/** The WAL segment sizes primaries are made with: the default, and the two-site estate's. */
const TEMPLATE_WAL_SEGMENTS = [16, SITES_WAL_SEGMENT_MB];

/**
 * The postgres image: the base and, in a thin layer, a template cluster per WAL segment size that primaries
 * copy instead of running initdb (PG_TEMPLATES). Rebuilt when the base or the recipe changed (its label says
 * which it was made from).
 */
async function ensurePostgresImage(
  d: Dockerode,
  baseId: string | undefined,
  log: BuildLog,
): Promise<BuildResult> {
  const name = BUILT_IMAGES.postgres;
  // The layer's own recipe is in the label too: a change to what the templates hold rebuilds only this image.
  const recipe = createHash('sha256').update(postgresDockerfile('', '')).digest('hex').slice(0, 12);
  const want = `${baseId ?? '?'} ${RECIPE} ${recipe}`;
  const have = await inspectImage(d, name);
  if (have?.labels[LABEL_PG_TEMPLATES] === want) {
    log(`reuse ${name}`);
    return { image: name, action: 'reused', ms: 0, sizeBytes: have.size };
  }
  const started = performance.now();
  const ctx = mkdtempSync(join(tmpdir(), 'drill-pg-image-'));
  try {
    writeFileSync(join(ctx, 'Dockerfile'), postgresDockerfile(BUILT_BASE, want));
    log(
      `build ${name} on ${BUILT_BASE} (template clusters: ${TEMPLATE_WAL_SEGMENTS.map((m) => `${m} MB WAL segments`).join(', ')})`,
    );
    await docker(['build', '--quiet', '--tag', name, ctx], 300_000);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return builtImage(d, name, have, started);
}

/**
 * The postgres image's recipe: initdb as the image's `postgres` account, once per segment size, then what a
 * template holds besides (TEMPLATE_SQL, in single-user mode).
 */
function postgresDockerfile(base: string, label: string): string {
  const initdb = TEMPLATE_WAL_SEGMENTS.map((mb) => {
    const dir = `${PG_TEMPLATES}/${SUPERUSER}-wal${mb}${PG_TEMPLATE_SUFFIX}`;
    const sql = TEMPLATE_SQL.replace('\n', '\\n');
    return (
      `initdb -D ${dir} ${templateInitdbArgs(SUPERUSER, mb).join(' ')} > /dev/null` +
      ` && printf '${sql}' | postgres --single -D ${dir} -c log_min_messages=warning postgres > /dev/null`
    );
  }).join(' && ');
  return [
    `FROM ${base}`,
    'USER postgres',
    `RUN mkdir -p ${PG_TEMPLATES} && ${initdb}`,
    'USER root',
    `LABEL ${LABEL_PG_TEMPLATES}="${label}"`,
    '',
  ].join('\n');
}

/**
 * The demo app's release images on `images.node`, rebuilt when the app's sources changed since they were
 * built (their label carries the fingerprint). Cheap when current: one inspect per release.
 */
export async function ensureAppImages(d: Dockerode, images: ImageSet, log: BuildLog): Promise<BuildResult[]> {
  const node = await inspectImage(d, images.node);
  if (!node)
    throw new PrerequisiteError(
      `the node image ${images.node} is not on the Docker engine`,
      'run `npx drill images build` (offline, from Debian packages) or pull it',
    );
  const hash = await appSourceHash(node.id);
  const results: BuildResult[] = [];
  let ctx: string | undefined;
  try {
    for (const [version, release] of Object.entries(releases())) {
      const name = appImage(images, version);
      const have = await inspectImage(d, name);
      if (have?.labels[LABEL_APP_SOURCE] === hash) {
        results.push({ image: name, action: 'reused', ms: 0, sizeBytes: have.size });
        log(`reuse ${name}`);
        continue;
      }
      const started = performance.now();
      if (!ctx) ctx = await appContext();
      writeFileSync(
        join(ctx, 'Dockerfile'),
        appDockerfile(images.node, version, release.failMode ?? 'none', hash),
      );
      log(`build ${name} on ${images.node}${have ? ' (app sources changed)' : ''}`);
      await docker(['build', '--quiet', '--tag', name, ctx], 300_000);
      // The replaced release image is now untagged: removed (unless a container still uses it).
      results.push(await builtImage(d, name, have, started));
    }
  } finally {
    if (ctx) rmSync(ctx, { recursive: true, force: true });
  }
  return results;
}

/** Are the app images current? (undefined: yes; else what is missing or stale) */
export async function appImagesProblem(d: Dockerode, images: ImageSet): Promise<string | undefined> {
  const node = await inspectImage(d, images.node);
  if (!node) return `image ${images.node} missing`;
  const versions = Object.keys(releases());
  // The release images are asked together, while the sources are hashed.
  const [hash, ...haves] = await Promise.all([
    appSourceHash(node.id),
    ...versions.map((v) => inspectImage(d, appImage(images, v))),
  ]);
  for (const [i, version] of versions.entries()) {
    const have = haves[i];
    if (!have) return `image ${appImage(images, version)} missing`;
    if (have.labels[LABEL_APP_SOURCE] !== hash)
      return `image ${appImage(images, version)} built from older app sources`;
  }
  return undefined;
}

/** The release's image: the bundle and its assets, the release's configuration baked in. */
export function appDockerfile(nodeImage: string, version: string, failMode: string, hash: string): string {
  return [
    `FROM ${nodeImage}`,
    'COPY app/ /app/',
    `ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 APP_VERSION=${version} APP_FAIL_MODE=${failMode}`,
    `LABEL ${LABEL_APP_SOURCE}=${hash} ${LABEL_RELEASE}=${version} org.opencontainers.image.version=${version}`,
    'USER nobody',
    'EXPOSE 3000',
    'CMD ["node", "/app/server.mjs"]',
    '',
  ].join('\n');
}

/** Build context: the app bundled into server.mjs, next to the SQL it reads at run time. */
async function appContext(): Promise<string> {
  const ctx = mkdtempSync(join(tmpdir(), 'drill-app-image-'));
  const out = join(ctx, 'app');
  mkdirSync(out);
  await bundle('fixtures/app/server.ts', join(out, 'server.mjs'));
  const appDir = join(PROJECT_ROOT, 'fixtures', 'app');
  for (const entry of readdirSync(appDir, { withFileTypes: true })) {
    const from = join(appDir, entry.name);
    if (entry.isDirectory() && entry.name === 'migrations')
      cpSync(from, join(out, entry.name), { recursive: true });
    else if (entry.isFile() && /\.(?:sql|json)$/.test(entry.name)) copyFileSync(from, join(out, entry.name));
  }
  return ctx;
}

async function buildBase(mirror: string | undefined, log: BuildLog): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new PrerequisiteError(
      'building the base image needs root (debootstrap)',
      'run `sudo npx drill images build`',
    );
  if (!mirror)
    throw new PrerequisiteError(
      'no Debian mirror found in /etc/apt/sources.list(.d)',
      'pass --mirror URL (your Debian mirror) or set DRILL_DEBIAN_MIRROR',
    );
  await requireTool('debootstrap', 'apt-get install debootstrap');
  const rootfs = mkdtempSync(join('/var/tmp', 'drillbook-rootfs-'));
  try {
    let started = performance.now();
    log(`debootstrap --variant=minbase --include=${PACKAGES.join(',')} ${SUITE} (mirror ${mirror}) …`);
    const logFile = join(tmpdir(), 'drill-debootstrap.log');
    const boot = await run(
      'debootstrap',
      ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, rootfs, mirror],
      { timeoutMs: 900_000, check: false, env: { ...process.env, LANG: 'C' } },
    );
    writeFileSync(logFile, boot.stdout + boot.stderr);
    if (boot.exitCode !== 0)
      throw new CommandError(`debootstrap (log: ${logFile})`, boot.exitCode, boot.stderr || boot.stdout);
    log(`debootstrap done in ${s(performance.now() - started)}`);
    trimRootfs(rootfs);
    copyFileSync(process.execPath, join(rootfs, 'usr', 'local', 'bin', 'node'));
    chmodSync(join(rootfs, 'usr', 'local', 'bin', 'node'), 0o755);
    started = performance.now();
    await importRootfs(rootfs, BUILT_BASE, [
      'LABEL drillbook.image=base',
      `LABEL drillbook.node-version=${process.version}`,
      'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin LANG=C.UTF-8',
    ]);
    log(`docker import ${BUILT_BASE} done in ${s(performance.now() - started)}`);
    const smoke = await docker(['run', '--rm', '--network', 'none', BUILT_BASE, 'node', '--version'], 60_000);
    if (smoke.trim() !== process.version)
      throw new PrerequisiteError(
        `the host's node (${process.version}) does not run in the Debian ${SUITE} image (${smoke.trim()})`,
        'use a Node 20 build for glibc <= 2.36 (e.g. Debian or NodeSource packages)',
      );
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** What a container never needs: package caches and lists, documentation, translations, the default cluster. */
function trimRootfs(rootfs: string): void {
  for (const p of [
    'var/cache/apt',
    'var/lib/apt/lists',
    'usr/share/doc',
    'usr/share/man',
    'usr/share/info',
    'usr/share/locale',
    'var/lib/postgresql/15',
    'etc/postgresql/15',
    'var/log/apt',
    'var/log/dpkg.log',
  ]) {
    rmSync(join(rootfs, p), { recursive: true, force: true });
  }
  mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
  mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
  mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true });
  if (!statSync(join(rootfs, 'tmp')).isDirectory()) throw new Error('rootfs has no /tmp');
}

/** `tar -C rootfs -c . | docker import --change ... - name`, streamed. */
function importRootfs(rootfs: string, name: string, changes: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const imp = spawn('docker', ['import', ...changes.flatMap((c) => ['--change', c]), '-', name], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    tar.stderr.on('data', (b: Buffer) => (err += b.toString()));
    imp.stderr.on('data', (b: Buffer) => (err += b.toString()));
    tar.stdout.pipe(imp.stdin);
    let tarCode: number | null = null;
    tar.on('close', (c) => (tarCode = c));
    imp.on('error', reject);
    tar.on('error', reject);
    imp.on('close', (code) => {
      if (code === 0 && tarCode === 0) resolve();
      else reject(new CommandError(`tar | docker import ${name}`, code ?? tarCode, err));
    });
  });
}

async function docker(args: string[], timeoutMs: number): Promise<string> {
  const r = await run('docker', args, { timeoutMs });
  return r.stdout;
}

async function requireTool(name: string, remedy: string): Promise<void> {
  const r = await run('sh', ['-c', `command -v ${name}`], { check: false });
  if (r.exitCode !== 0) throw new PrerequisiteError(`${name} not found`, remedy);
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
