/**
 * The small family of errors drillbook throws. Each maps to one CLI exit code and carries a message that names
 * its subject, what was observed and the limit, so the one line a user sees is enough to act on.
 */
export abstract class DrillError extends Error {
  abstract readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad usage, configuration or scenario input: exit 2, nothing started. */
export class UsageError extends DrillError {
  readonly exitCode = 2;
}

/** A prerequisite is missing on this machine (a binary, an engine): exit 3, with how to get it. */
export class PrerequisiteError extends DrillError {
  readonly exitCode = 3;
  constructor(
    message: string,
    readonly remedy: string,
  ) {
    super(`${message}; ${remedy}`);
  }
}

/** A wait ran past its deadline; carries the last real failure seen while waiting. */
export class TimeoutError extends DrillError {
  readonly exitCode = 1;
  constructor(
    readonly subject: string,
    readonly limitMs: number,
    readonly lastError: unknown,
  ) {
    super(
      `timed out after ${limitMs} ms waiting for ${subject}${lastError ? `: last error: ${describe(lastError)}` : ''}`,
      { cause: lastError },
    );
  }
}

/** The run was aborted (Ctrl-C, SIGTERM, a deadline on the whole drill). */
export class AbortedError extends DrillError {
  readonly exitCode = 130;
  constructor(reason: string) {
    super(`aborted: ${reason}`);
  }
}

/** A command exited non-zero or could not start. */
export class CommandError extends DrillError {
  readonly exitCode = 1;
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${command} ${code === null ? 'could not run' : `exited ${code}`}${stderr ? `: ${lastLines(stderr, 3)}` : ''}`,
      options,
    );
  }
}

/** An action or runbook step failed while a drill ran; carries what the step saw, as evidence. */
export class StepError extends DrillError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly evidence: {
      source?: string;
      exitCode?: number;
      output?: string;
      checks?: { name: string; expected: string; actual: string; passed: boolean }[];
    } = {},
  ) {
    super(message);
  }
  get source(): string | undefined {
    return this.evidence.source;
  }
  get output(): string | undefined {
    return this.evidence.output;
  }
  get checks() {
    return this.evidence.checks;
  }
}

/** The estate could not be provisioned or torn down. */
export class EstateError extends DrillError {
  readonly exitCode = 1;
}

/** A short, single-line description of anything thrown. */
export function describe(e: unknown): string {
  if (e instanceof AggregateError) return e.errors.map(describe).join('; ') || e.message;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    const msg = e.message || code || e.name;
    return code && !msg.includes(code) ? `${msg} (${code})` : msg;
  }
  return String(e);
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}
