#!/usr/bin/env node
// The `drill` command: the CLI is TypeScript, run without a build step between `npm ci` and a drill (from a
// bundle cached on first use, or through tsx).
// Ctrl-C or SIGTERM while the CLI is still loading: nothing has started yet, so leave at once with the
// interrupted exit code. Once the command has its own handlers (which tear down what it started), this one
// steps aside. It stays installed throughout: removing the last listener of a signal drops a signal caught
// but not yet dispatched (the loop is busy loading modules), and the CLI would then ignore it.
const early = (sig) => {
  if (process.listenerCount(sig) === 1) process.exit(130);
};
process.on('SIGINT', early);
process.on('SIGTERM', early);
// A reader that goes away (`drill run … | head`) must not abort a drill halfway: the estate still has to be torn
// down, so output to a closed pipe is dropped instead of crashing the process.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
// The CLI runs from a cached bundle of its sources (bin/bundle-cache.js: rebuilt whenever a source changes),
// which starts in about half the CPU time of tsx transpiling every module; through tsx when there is none.
const { cachedBundle } = await import('./bundle-cache.js');
const bundled = await cachedBundle('harness/cli/main.ts');
let main;
if (bundled) ({ main } = await import(bundled));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../harness/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
// An estate kept with --keep is made of this process's children, whose handles would hold it alive after the
// report is written: exit once the command is done (stdout and stderr are synchronous for files and pipes).
if (process.argv.includes('--keep')) process.exit();
