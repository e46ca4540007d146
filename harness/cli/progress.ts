import { formatDuration } from '../core/duration.ts';
import type { Progress } from '../drill/runner.ts';

/**
 * A progress line per phase on a terminal; nothing in CI or when stdout is not a terminal, where only the
 * result lines are printed (they are parseable: `key=value`).
 */
export function progressPrinter(out: NodeJS.WriteStream, interactive: boolean): (p: Progress) => void {
  if (!interactive) return () => undefined;
  return (p) => {
    if (p.kind === 'phase-start') out.write(`  ${p.drillId}  ${p.phase.padEnd(9)} …\n`);
    else if (p.kind === 'phase-end') {
      out.write(
        `  ${p.drillId}  ${p.phase.padEnd(9)} ${p.ok ? 'done' : 'FAILED'} in ${formatDuration(p.ms)}${p.error ? `: ${p.error}` : ''}\n`,
      );
    } else out.write(`  ${p.drillId}  · ${p.message}\n`);
  };
}

/** Progress lines on a terminal outside CI, or anywhere with DRILL_PROGRESS=1 (e.g. a CI log you want to read). */
export function isInteractive(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.DRILL_PROGRESS !== undefined) return env.DRILL_PROGRESS === '1';
  return Boolean(stream.isTTY) && !env.CI;
}
