/**
 * `docs/config.md`, generated from the schema (zod's JSON Schema of it, with every field's description), so
 * the document and the validation never disagree. `npx tsx harness/config/docs.ts` rewrites it; a unit test
 * fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigSchema } from './schema.ts';

interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: Node | boolean;
  propertyNames?: Node;
  items?: Node;
  oneOf?: Node[];
  anyOf?: Node[];
  minimum?: number;
  maximum?: number;
}

function typeOf(n: Node): string {
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return n.enum.map((e) => `\`${JSON.stringify(e)}\``).join(' \\| ');
  if (n.oneOf ?? n.anyOf) return (n.oneOf ?? n.anyOf ?? []).map(typeOf).join(' \\| ');
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'values'}`;
  if (n.type === 'object' && !n.properties && typeof n.additionalProperties === 'object')
    return `map of ${typeOf(n.additionalProperties)}`;
  if (n.type === 'integer' && n.minimum !== undefined) return `integer ${n.minimum}–${n.maximum ?? '∞'}`;
  if (Array.isArray(n.type)) return n.type.join(' \\| ');
  return n.type ?? 'any JSON value';
}

function rows(node: Node, path: string, required: boolean, out: string[]): void {
  const def = node.default !== undefined ? `\`${JSON.stringify(node.default)}\`` : '';
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  if (path)
    out.push(
      `| \`${path}\` | ${typeOf(node)} | ${required ? 'yes' : ''} | ${def} | ${cell(node.description ?? '')} |`,
    );
  for (const [k, child] of Object.entries(node.properties ?? {}))
    rows(child, path ? `${path}.${k}` : k, (node.required ?? []).includes(k), out);
  if (typeof node.additionalProperties === 'object' && node.additionalProperties.properties)
    rows(node.additionalProperties, `${path}.<name>`, false, out);
  if (node.items?.properties) rows(node.items, `${path}[]`, false, out);
  for (const [i, alt] of (node.oneOf ?? node.anyOf ?? []).entries()) {
    if (!alt.properties) continue;
    const tag = Object.entries(alt.properties).find(([, p]) => p.const !== undefined);
    const label = tag ? `${tag[0]}: ${String(tag[1].const)}` : `variant ${i + 1}`;
    out.push(`| *${path} (${label})* | | | | ${cell(alt.description ?? '')} |`);
    for (const [k, child] of Object.entries(alt.properties))
      rows(child, `${path}.${k}`, (alt.required ?? []).includes(k), out);
  }
}

/** The document's text. */
export function configDoc(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as Node;
  const table: string[] = [];
  rows(schema, '', true, table);
  return `# The config file

<!-- Generated from harness/config/schema.ts by \`npx tsx harness/config/docs.ts\`; a unit test fails when stale. -->

drillbook reads one config file from the working directory: \`drillbook.config.yaml\` (or \`.yml\`), or
\`drillbook.config.json\` with the same keys (the \`docker.images\` keys of earlier versions still work). \`--config
FILE\` or \`DRILL_CONFIG\` names another. \`npx drill init\` writes a commented starting file (\`--compose FILE\` maps a
compose file's services to roles by image). Paths are relative to the config file. Every error stops the run
before anything starts, with exit code 2 and one line naming the file, the field and what was expected.

Precedence of objectives: \`--objective\` on the command line, then \`objectives.drills.<id>\`, then the plan-wide
\`objectives\`, then the scenario's own.

| field | type | required | default | description |
| ----- | ---- | -------- | ------- | ----------- |
${table.join('\n')}
`;
}

export const CONFIG_DOC = join(import.meta.dirname, '..', '..', 'docs', 'config.md');

/** The document as the repository keeps it: formatted by the project's prettier settings. */
export async function formattedConfigDoc(): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(CONFIG_DOC)) ?? {};
  return prettier.format(configDoc(), { ...options, parser: 'markdown' });
}

if (process.argv[1] === import.meta.filename) writeFileSync(CONFIG_DOC, await formattedConfigDoc());
