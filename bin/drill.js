#!/usr/bin/env node
// The `drill` command: the CLI is TypeScript, loaded through tsx so that no build step stands between
// `npm ci` and a drill.
import { register } from 'tsx/esm/api';

register();
// A reader that goes away (`drill run … | head`) must not abort a drill halfway: the estate still has to be torn
// down, so output to a closed pipe is dropped instead of crashing the process.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
const { main } = await import('../harness/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
