/**
 * The one executor of runbook blocks: steps (`Step.block`) and faults (`Fault.block`) run a block of the runbook
 * under test through `executeBlock`, with the drill's abort signal, the values earlier steps recorded, the
 * database's account for `as=postgres`, and the captured output as evidence.
 */
import { StepError } from '../../core/errors.ts';
import { blockOf } from '../markdown.ts';
import { judgeBlock, runBlock, siteFor, type BlockExpectation } from '../execute.ts';
import type { Step, StepContext, StepOutcome } from '../step.ts';

export interface RunbookStepOptions {
  /** Name in the report (default: the block id and its section). */
  name?: string;
  /** Extra environment for this block, computed when it runs (e.g. a restore target from the fault time). */
  env?: (ctx: StepContext) => Record<string, string>;
  expect?: BlockExpectation;
  /** Values to capture from stdout into ctx.vars for later steps: { RESTORE_REACHED: /reached: (.*)/ }. */
  capture?: Record<string, RegExp>;
}

/**
 * Execute one block of the runbook under test against the estate: bash strict mode, values through the
 * environment (the estate's shell env, then values earlier steps captured, then `env`), output kept as
 * evidence, the source recorded as path#L<line>. Throws a StepError naming the failing line; the drill declares
 * the ids it uses (`runbookBlocks`), and those are checked against the document before anything starts.
 */
export async function executeBlock(
  ctx: StepContext,
  id: string,
  opts: Omit<RunbookStepOptions, 'name'> = {},
): Promise<StepOutcome & { source: string }> {
  if (!ctx.runbook) throw new StepError(`runbook block '${id}': this drill has no runbook document`);
  const doc = ctx.runbook;
  const block = blockOf(doc, id);
  const source = `${doc.path}#L${block.line}`;
  const shell = ctx.estate.shell();
  // An as=postgres block runs where the database lives, with the values that hold there.
  const site = siteFor(shell, block);
  const r = await runBlock(block, {
    env: { ...site.env, ...ctx.vars, ...opts.env?.(ctx) },
    timeoutMs: ctx.timeoutMs,
    secrets: shell.secrets,
    signal: ctx.signal,
    site,
  });
  const output = trimOutput(r.stdout, r.stderr);
  try {
    judgeBlock(block, doc.path, r, doc.exitStatusOnly ? {} : opts.expect);
  } catch (e) {
    const where = r.failedLine !== undefined ? `${doc.path}#L${r.failedLine}` : source;
    throw new StepError((e as Error).message, {
      source: where,
      ...(r.exitCode !== null ? { exitCode: r.exitCode } : {}),
      output,
    });
  }
  for (const [name, re] of Object.entries(opts.capture ?? {})) {
    const m = re.exec(r.stdout);
    if (m?.[1] !== undefined) ctx.vars[name] = m[1].trim();
  }
  // What the block says it did is its last line of output (`promoted ... on timeline 2`).
  const said = r.stdout.trim().split('\n').at(-1)?.trim();
  return {
    exitCode: 0,
    output,
    source,
    detail: said || `${block.section.split(' > ').at(-1) ?? ''}: exit 0`,
  };
}

/** A step that executes one block of the runbook under test (see `executeBlock`). */
export function block(id: string, opts: RunbookStepOptions = {}): Step {
  return {
    name: opts.name ?? `runbook block ${id}`,
    via: 'runbook-block',
    run: (ctx) => executeBlock(ctx, id, opts),
  };
}

/** The last lines of a block's output: enough to see what happened, bounded so reports stay readable. */
function trimOutput(stdout: string, stderr: string): string {
  const text = [stdout.trim(), stderr.trim() ? `[stderr]\n${stderr.trim()}` : ''].filter(Boolean).join('\n');
  const lines = text.split('\n');
  return lines.length > 40 ? ['…', ...lines.slice(-40)].join('\n') : text;
}
