import { existsSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parse } from '../core/args.ts';
import { UsageError } from '../core/errors.ts';
import { CONFIG_NAMES, findConfig } from '../config/load.ts';
import { initConfig, readCompose } from '../config/init.ts';
import type { Io } from './io.ts';

/** `drill init [--compose FILE] [--force]`: write a commented drillbook.config.yaml in the working directory. */
export function initCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse('init', argv, {
    compose: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const cwd = process.cwd();
  const existing = findConfig(cwd, {});
  const target = resolve(cwd, CONFIG_NAMES[0]);
  if (existing && !values.force)
    throw new UsageError(`init: ${relative(cwd, existing)} exists; --force to replace it`);
  const compose = values.compose
    ? { file: values.compose, text: readCompose(resolve(cwd, values.compose), values.compose) }
    : undefined;
  const text = initConfig(compose ? { compose } : {});
  if (existing && existing !== target && existsSync(existing))
    throw new UsageError(`init: ${relative(cwd, existing)} exists; remove it first (one config file)`);
  writeFileSync(target, text);
  io.out.write(
    `wrote ${CONFIG_NAMES[0]}${compose ? ` from ${compose.file}` : ''}: check the lines marked EDIT\n`,
  );
  return Promise.resolve(0);
}
