#!/usr/bin/env node
// The `drill` command: the CLI is TypeScript, loaded through tsx so that no build step stands between
// `npm ci` and a drill.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
