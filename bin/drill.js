#!/usr/bin/env node
// The `drill` command: the CLI is TypeScript, loaded through tsx so that no build step stands between
// `npm ci` and a drill.
import { register } from 'tsx/esm/api';

// Ctrl-C or SIGTERM while the CLI is still loading: nothing has started yet, so leave at once with the
// interrupted exit code (the command installs its own handlers, which tear down what it started).
const early = () => process.exit(130);
process.once('SIGINT', early);
process.once('SIGTERM', early);
register();
// A reader that goes away (`drill run … | head`) must not abort a drill halfway: the estate still has to be torn
// down, so output to a closed pipe is dropped instead of crashing the process.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
const { main } = await import('../harness/cli/main.ts');
process.off('SIGINT', early);
process.off('SIGTERM', early);
process.exitCode = await main(process.argv.slice(2));
// An estate kept with --keep is made of this process's children, whose handles would hold it alive after the
// report is written: exit once the command is done (stdout and stderr are synchronous for files and pipes).
if (process.argv.includes('--keep')) process.exit();
