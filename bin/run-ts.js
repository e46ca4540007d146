#!/usr/bin/env node
// `node bin/run-ts.js ENTRY.ts [args...]`: run one of drillbook's TypeScript programs (the router, the demo app)
// from its cached bundle (bin/bundle-cache.js), or through tsx when there is none. The program sees the argv it
// would see under `node --import tsx ENTRY.ts [args...]`.
import { resolve, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cachedBundle } from './bundle-cache.js';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node bin/run-ts.js ENTRY.ts [args...]\n');
  process.exit(2);
}
const file = resolve(entry);
process.argv = [process.argv[0] ?? process.execPath, file, ...args];
const bundled = await cachedBundle(relative(fileURLToPath(new URL('..', import.meta.url)), file));
if (bundled) await import(pathToFileURL(bundled).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(file).href);
}
