import { join } from 'node:path';
import { PROJECT_ROOT } from '../host/project-root.ts';

/**
 * Bundle a TypeScript entry point of the project (the demo app, the router) into one ES module with its npm
 * dependencies inlined, so a container needs nothing but `node` and this file. CommonJS dependencies (pg,
 * ioredis) call `require` for Node's built-ins; the banner gives the module a real one.
 */
export async function bundle(entry: string, outfile: string): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(PROJECT_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // pg's optional native binding is never used (and not installed).
    external: ['pg-native'],
    banner: {
      js: "import { createRequire as __drillCreateRequire } from 'node:module'; const require = __drillCreateRequire(import.meta.url);",
    },
    logLevel: 'silent',
    legalComments: 'none',
  });
}

/** The esbuild version, part of an app image's source fingerprint. */
export async function bundlerVersion(): Promise<string> {
  return (await import('esbuild')).version;
}
