/**
 * The one place the config file is read. It finds the file (`--config`, `DRILL_CONFIG`, else
 * `drillbook.config.yaml`, `.yml` or `drillbook.config.json` in the working directory), parses it (YAML, or
 * JSON for `.json`), validates it against the schema and resolves it into a `SystemUnderTest`. Every error is a
 * UsageError (exit 2) naming the file, the field path and what was expected, before anything starts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../core/errors.ts';
import { ConfigSchema, type Config } from './schema.ts';
import { resolveSystem, type SystemUnderTest } from './system.ts';

/** The names looked for in the working directory, in this order. */
export const CONFIG_NAMES = [
  'drillbook.config.yaml',
  'drillbook.config.yml',
  'drillbook.config.json',
] as const;

export interface LoadedConfig {
  /** Absolute path of the file read, or undefined when there is none. */
  path?: string;
  /** How messages name it (relative to the working directory when inside it). */
  display: string;
  config: Config;
}

/** The config file to read: an explicit one (flag, then DRILL_CONFIG), else the first of CONFIG_NAMES in `cwd`. */
export function findConfig(cwd: string, env: NodeJS.ProcessEnv, explicit?: string): string | undefined {
  const named = explicit ?? env.DRILL_CONFIG;
  if (named) {
    const path = resolve(cwd, named);
    if (!existsSync(path)) throw new UsageError(`${named}: no such config file`);
    return path;
  }
  const found = CONFIG_NAMES.map((n) => join(cwd, n)).filter((p) => existsSync(p));
  if (found.length > 1)
    throw new UsageError(
      `${found.map((p) => relative(cwd, p)).join(' and ')}: two config files; keep one (the same keys work in both)`,
    );
  return found[0];
}

/** Read and validate the config (an empty config when there is no file). */
export function loadConfig(cwd: string, env: NodeJS.ProcessEnv, explicit?: string): LoadedConfig {
  const path = findConfig(cwd, env, explicit);
  if (!path) return { display: CONFIG_NAMES[0], config: ConfigSchema.parse({}) };
  const display = displayPath(cwd, path);
  return { path, display, config: parseConfig(readFileSync(path, 'utf8'), display) };
}

/**
 * Configs already parsed in this process, by name and text: one `drill run` reads its config three times (the
 * input checks, the system under test, the signing settings), and each YAML parse and validation cost 20-200 ms
 * of CPU measured under load. Each caller gets its own copy.
 */
const parsed = new Map<string, Config>();

/** Parse and validate config text; `display` names the file in errors (and picks JSON for `.json`). */
export function parseConfig(text: string, display: string): Config {
  const key = `${display}\0${text}`;
  const known = parsed.get(key);
  if (known) return structuredClone(known);
  const config = parseConfigText(text, display);
  if (parsed.size >= 16) parsed.clear();
  parsed.set(key, config);
  return structuredClone(config);
}

function parseConfigText(text: string, display: string): Config {
  let raw: unknown;
  if (display.endsWith('.json')) {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${display}: not valid JSON (${(e as Error).message})`);
    }
  } else {
    const doc = parseDocument(text, { prettyErrors: true, lineCounter: new LineCounter() });
    const err = doc.errors[0];
    if (err) {
      const at = err.linePos?.[0];
      throw new UsageError(
        `${display}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML (${(err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')})`,
      );
    }
    raw = doc.toJS() ?? {};
  }
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) throw new UsageError(describeIssue(display, result.error.issues[0]));
  return result.data;
}

/** One line for the first problem: the file, the field path and what was expected. */
export function describeIssue(display: string, issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return `${display}: invalid`;
  const path = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    return `${display}: ${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  const msg = issue.message;
  const said = /^(?:Invalid|Too|Unrecognized|expected)/.test(msg) ? msg : `expected ${msg}`;
  return `${display}: ${path}: ${said.replace(/^Invalid input: /, '')}`;
}

/** The system under test, from the config: the file's `system` section resolved, or a UsageError. */
export function loadSystem(cwd: string, env: NodeJS.ProcessEnv, explicit?: string): SystemUnderTest {
  const loaded = loadConfig(cwd, env, explicit);
  if (!loaded.path)
    throw new UsageError(
      `no config file in ${cwd} (looked for ${CONFIG_NAMES.join(', ')}): run \`npx drill init\` to write one`,
    );
  return resolveSystem(loaded.config, { display: loaded.display, dir: dirname(loaded.path) });
}

function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
