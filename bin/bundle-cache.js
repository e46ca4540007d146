// A cached esbuild bundle of one of drillbook's TypeScript entry points (the CLI, the router, the demo app), so
// that a process starts by loading one JavaScript file instead of tsx transpiling and resolving ~200 modules on
// every start (0.7 s of CPU for the CLI alone, measured in docs/speed.md).
//
// The bundle is only a cache of the sources: it is reused while every input file esbuild read has the size and
// modification time it had when the bundle was built, and rebuilt otherwise. Anything unexpected (no esbuild, a
// cache directory that cannot be written, a manifest that does not parse) returns undefined, and the caller runs
// the sources through tsx as before. DRILL_NO_BUNDLE=1 turns the cache off.
//
// The npm packages every command loads (pg, ioredis, axios, yaml, zod) are inlined: resolving and loading each of
// their files one by one took a quarter of the CLI's start. What is loaded only when needed (testcontainers, the kube
// client, playwright) stays in node_modules, and dynamic imports become their own chunks, so it stays lazy.
// `import.meta.dirname`, `.filename` and `.url` are replaced, per source file, by that file's own location, so
// modules that find their files relative to themselves find them where they are.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'drillbook');
const KEEP_OLD_MS = 3600_000;
// Packages left in node_modules: what a command loads only when it needs it (the container engine's client, the
// kube client, the PDF browser), the build tools, native modules, and pg's optional native binding (not installed).
const EXTERNAL_PACKAGES = [
  'testcontainers',
  'dockerode',
  'ssh2',
  'cpu-features',
  '@kubernetes/client-node',
  'playwright',
  'playwright-core',
  'esbuild',
  'tsx',
  'pg-native',
];
// Bundled CommonJS packages (pg, ioredis, axios) call `require` for Node's built-ins and may name their own file:
// each chunk gets a real `require` and the two CommonJS names.
const CJS_BANNER = [
  "import { createRequire as __drillRequire } from 'node:module';",
  "import { fileURLToPath as __drillPath } from 'node:url';",
  'const require = __drillRequire(import.meta.url);',
  'const __filename = __drillPath(import.meta.url);',
  "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
].join(' ');
/** Changes whenever the way bundles are made changes, so a bundle made the old way is never reused. */
const BUNDLE_FORMAT = 2;

const META = /\bimport\.meta\.(dirname|filename|url)\b/g;

/** `import.meta.X` in code (not inside a string on the same line) replaced by the source file's own value. */
function pinImportMeta(source, file) {
  const values = { dirname: dirname(file), filename: file, url: pathToFileURL(file).href };
  return source.replace(META, (match, what, offset) => {
    const lineStart = source.lastIndexOf('\n', offset) + 1;
    const quotes = source.slice(lineStart, offset).match(/['"`]/g)?.length ?? 0;
    return quotes % 2 === 0 ? JSON.stringify(values[what]) : match;
  });
}

function stamp(file) {
  const st = statSync(file);
  return `${st.size}:${st.mtimeMs}`;
}

/** The manifest's bundle when every input is unchanged, else undefined. */
function current(manifestFile, versions) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof manifest !== 'object' || manifest === null) return undefined;
  if (
    manifest.versions !== versions ||
    typeof manifest.out !== 'string' ||
    typeof manifest.inputs !== 'object'
  )
    return undefined;
  try {
    for (const [file, was] of Object.entries(manifest.inputs))
      if (stamp(join(ROOT, file)) !== was) return undefined;
    statSync(manifest.out);
  } catch {
    return undefined;
  }
  return manifest.out;
}

/**
 * Remove what no process will load again: this entry's older bundles, and the bundles of entries whose sources
 * are gone (a removed worktree), once they are an hour old (a running process may still load a lazy chunk of
 * the bundle it started with).
 */
function sweep(key, keep) {
  const old = (path) => Date.now() - statSync(path).mtimeMs > KEEP_OLD_MS;
  const gone = new Set();
  for (const name of readdirSync(CACHE)) {
    if (!name.endsWith('.json')) continue;
    const path = join(CACHE, name);
    try {
      const { source } = JSON.parse(readFileSync(path, 'utf8'));
      if (typeof source === 'string' && !existsSync(source) && old(path)) {
        gone.add(name.slice(0, -'.json'.length));
        rmSync(path, { force: true });
      }
    } catch {
      // being written, or removed by another process
    }
  }
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    const [owner] = name.split('-');
    if (name.endsWith('.json') || path === keep || !(owner === key || gone.has(owner ?? ''))) continue;
    try {
      if (old(path)) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed by another process
    }
  }
}

/**
 * The path of an up-to-date bundle of `entry` (relative to the project root), built if needed; undefined when
 * no bundle can be had (the caller then runs the TypeScript through tsx).
 */
export async function cachedBundle(entry) {
  if (process.env.DRILL_NO_BUNDLE === '1') return undefined;
  const key = createHash('sha256').update(join(ROOT, entry)).digest('hex').slice(0, 16);
  const manifestFile = join(CACHE, `${key}.json`);
  let versions;
  try {
    const esbuildPkg = JSON.parse(
      readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8'),
    );
    versions = `node ${process.version} esbuild ${esbuildPkg.version} format ${BUNDLE_FORMAT}`;
  } catch {
    return undefined;
  }
  const reuse = current(manifestFile, versions);
  if (reuse) return reuse;
  try {
    const esbuild = await import('esbuild');
    mkdirSync(CACHE, { recursive: true });
    const outdir = join(CACHE, `${key}-${Date.now()}-${process.pid}`);
    const built = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: { main: join(ROOT, entry) },
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: EXTERNAL_PACKAGES,
      banner: { js: CJS_BANNER },
      outExtension: { '.js': '.mjs' },
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
      plugins: [
        {
          name: 'pin-import-meta',
          setup(build) {
            build.onLoad({ filter: /\.ts$/ }, async (args) => {
              if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
              return { contents: pinImportMeta(await readFile(args.path, 'utf8'), args.path), loader: 'ts' };
            });
          },
        },
      ],
    });
    const inputs = {};
    for (const file of Object.keys(built.metafile.inputs)) inputs[file] = stamp(join(ROOT, file));
    const tmp = `${manifestFile}.${process.pid}.tmp`;
    writeFileSync(
      tmp,
      JSON.stringify({
        versions,
        entry,
        source: join(ROOT, entry),
        out: join(outdir, 'main.mjs'),
        built: new Date().toISOString(),
        inputs,
      }),
    );
    renameSync(tmp, manifestFile);
    sweep(key, outdir);
    return join(outdir, 'main.mjs');
  } catch {
    return undefined;
  }
}
