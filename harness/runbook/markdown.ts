import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.ts';

/** A fenced shell block of a runbook that a drill can execute. */
export interface RunbookBlock {
  id: string;
  lang: string;
  code: string;
  /** 1-based line of the opening fence in the markdown file. */
  line: number;
  /** The heading path the block sits under: "Rollback Procedures > Database rollback". */
  section: string;
  /** `as=postgres`: run as the database's OS account (it writes data directories), as `sudo -u postgres`. */
  runAs?: 'postgres';
  /** `check=<section>`: the block is an item of the pre-deployment checklist, in that section. */
  check?: ChecklistSection;
}

/** The sections of the pre-deployment checklist, in the runbook's order. */
export const CHECKLIST_SECTIONS = [
  'infrastructure',
  'backup',
  'configuration',
  'testing',
  'monitoring',
] as const;
export type ChecklistSection = (typeof CHECKLIST_SECTIONS)[number];

export interface Runbook {
  path: string;
  text: string;
  blocks: Map<string, RunbookBlock>;
  /**
   * The system's own runbook, from its config: what its blocks print is theirs, so a block is judged by its
   * exit status alone, not by the output drillbook's own runbook promises.
   */
  exitStatusOnly?: boolean;
}

/**
 * A runbook is user input, so its lines are taken apart with string operations and anchored patterns that cannot
 * backtrack (a heading line of 100k spaces must cost one pass, not minutes): see hostile.test.ts.
 */
function heading(line: string): { level: number; text: string } | undefined {
  const m = /^#{1,6}(?=\s)/.exec(line);
  if (!m) return undefined;
  // `# Title ##`: the text without its surrounding blanks and its closing run of #.
  let text = line.slice(m[0].length).trim();
  let end = text.length;
  while (end > 0 && text[end - 1] === '#') end--;
  text = text.slice(0, end).trimEnd();
  return { level: m[0].length, text };
}

function fence(line: string): { fence: string; lang: string; info: string } | undefined {
  const m = /^(?:`{3,}|~{3,})/.exec(line);
  if (!m) return undefined;
  const rest = line.slice(m[0].length).trimStart();
  const lang = /^[\w-]*/.exec(rest)?.[0] ?? '';
  return { fence: m[0], lang, info: rest.slice(lang.length).trim() };
}
const RUNNABLE = new Set(['bash', 'sh', 'shell']);

/**
 * Parse a runbook: every fenced block whose info string carries `id=<name>` (```bash id=backup-db) is
 * addressable by a drill. Blocks without an id are documentation only. Duplicate ids are an error.
 */
export function parseRunbook(text: string, path: string): Runbook {
  const lines = text.split('\n');
  const blocks = new Map<string, RunbookBlock>();
  const headings: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const h = heading(line);
    if (h) {
      headings.length = h.level - 1;
      headings[h.level - 1] = h.text;
      continue;
    }
    const f = fence(line);
    if (!f) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').startsWith(f.fence); i++) body.push(lines[i] ?? '');
    const id = /(?:^|\s)id=([a-z0-9][a-z0-9-]*)/.exec(f.info)?.[1];
    if (!id) continue;
    const lang = f.lang;
    if (!RUNNABLE.has(lang))
      throw new UsageError(`${path}:${start + 1}: block '${id}' is '${lang || 'untyped'}', not bash/sh`);
    if (blocks.has(id)) throw new UsageError(`${path}:${start + 1}: block id '${id}' is used twice`);
    const runAs = /(?:^|\s)as=(\S+)/.exec(f.info)?.[1];
    if (runAs !== undefined && runAs !== 'postgres') {
      throw new UsageError(
        `${path}:${start + 1}: block '${id}' has as=${runAs}; the only account a block can ask for is as=postgres`,
      );
    }
    const check = /(?:^|\s)check=(\S+)/.exec(f.info)?.[1];
    if (check !== undefined && !(CHECKLIST_SECTIONS as readonly string[]).includes(check)) {
      throw new UsageError(
        `${path}:${start + 1}: block '${id}' has check=${check}; a checklist section is one of ${CHECKLIST_SECTIONS.join(', ')}`,
      );
    }
    blocks.set(id, {
      id,
      lang,
      code: body.join('\n'),
      line: start + 1,
      section: headings.filter(Boolean).join(' > '),
      ...(runAs ? { runAs } : {}),
      ...(check ? { check: check as ChecklistSection } : {}),
    });
  }
  return { path, text, blocks };
}

export function loadRunbook(path: string, displayPath = path): Runbook {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `runbook ${displayPath}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  return parseRunbook(text, displayPath);
}

export function blockOf(runbook: Runbook, id: string): RunbookBlock {
  const b = runbook.blocks.get(id);
  if (!b)
    throw new UsageError(
      `runbook ${runbook.path} has no block with id=${id} (has: ${[...runbook.blocks.keys()].join(', ') || 'none'})`,
    );
  return b;
}

/** Replace every secret value with '***' (secrets never reach a log, a report or the console). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}
