import { AbortedError, describe, DrillError, PrerequisiteError } from '../core/errors.ts';
import { cleanupCommand, doctorCommand, listCommand, runCommand } from './commands.ts';
import { initCommand } from './init-command.ts';
import { checklistCommand, CHECKLIST_USAGE } from './checklist-command.ts';
import type { Io } from './io.ts';
import { keygenCommand, reportCommand, statusCommand, verifyCommand } from './report-commands.ts';
import { ownAncestry } from '../estate/host/proc.ts';
import { ownEntry, provenProcesses, removeRegistryFile } from '../estate/host/registry.ts';
import { removeRunDir } from '../estate/host/run-dir.ts';
import { BACKENDS } from '../estate/registry.ts';

/** Commands the backends bring (docker: `images`), by name. */
const BACKEND_COMMANDS = Object.fromEntries(BACKENDS.flatMap((b) => Object.entries(b.commands ?? {})));
const BACKEND_USAGE = Object.values(BACKEND_COMMANDS)
  .flatMap((c) => c.usage)
  .map((line) => `  ${line}\n`)
  .join('');

const USAGE = `usage: drill <command> [options]

commands:
  list [--json]                              the drills (their quarter, or routine), objectives and backends
  run [ids...] [--quarter Q1|Q2|Q3|Q4 | --routines] [--backend ${['auto', ...BACKENDS.map((b) => b.name)].join('|')}] [--report-dir DIR] [--keep]
      [--objective rto=DURATION] [--objective rpo=DURATION] [--runbook FILE.md] [--config FILE]
      [--evidence FILE] [--signing-key FILE] [--pdf]
      [--parallel N] [--shard I/N] [--probe-interval DURATION]
      [--kube-context NAME --allow-context NAME]   (kube: an existing cluster, in a namespace of the run)
                                             run drills (all when no id is given; --quarter: that quarter's
                                             DR drills; --routines: the maintenance routines), write reports
${CHECKLIST_USAGE.map((l) => `  ${l}\n`).join('')}  verify RUN_DIR [--public-key FILE] [--json]
                                             check a run's artifacts, event chain and signature
  report RUN_DIR [--pdf] [--evidence FILE] [--signing-key FILE]
                                             add a PDF or people's evidence to a finished run
  status [--report-dir DIR] [--max-age DURATION] [--json]
                                             the drill calendar: last passing run per quarter and drill
  init [--compose FILE] [--force]            write a commented drillbook.config.yaml (from a compose file)
  keygen [--out DIR] [--force]               an Ed25519 key pair for signing run manifests
  doctor                                     which backends can run on this machine, and why not
  doctor --rules FILE [--alertmanager-config FILE] [--config FILE]
                                             every metric each alert rule selects, looked up in a live Prometheus
${BACKEND_USAGE}  cleanup [--run RUN_ID] [--dry-run] [--force]
                                             remove what a killed or --keep run left behind

exit codes: 0 all passed, 1 a drill failed or missed an objective, 2 bad usage or input,
            3 a prerequisite is missing, 130 interrupted
`;

const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<number>> = {
  list: listCommand,
  run: runCommand,
  checklist: checklistCommand,
  doctor: doctorCommand,
  cleanup: cleanupCommand,
  verify: verifyCommand,
  report: reportCommand,
  status: statusCommand,
  keygen: keygenCommand,
  init: initCommand,
  ...Object.fromEntries(
    Object.entries(BACKEND_COMMANDS).map(([name, c]) => [name, (argv: string[], io: Io) => c.run(argv, io)]),
  ),
};

/** The `drill` CLI. Returns the exit code; prints one clear line for bad input, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(
      `drill: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; drill --help)\n`,
    );
    return 2;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(
        `\ndrill: ${sig}: stopping the drill and tearing down its estate (again to force)\n`,
      );
      controller.abort(new AbortedError(sig));
    } else {
      // A second interrupt: take down every process of this harness's runs at once and leave.
      // Exactly what this harness recorded starting (pid and start time), never a labelled stranger.
      const warn = (line: string) => process.stderr.write(`drill: ${line}\n`);
      const mine = ownEntry(warn);
      const spare = ownAncestry();
      for (const rec of mine?.processes ?? [])
        for (const pid of provenProcesses(rec, spare)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
      for (const r of mine?.runs ?? []) {
        for (const b of BACKENDS) b.sweepNow?.(r.runId);
        removeRunDir(r.dir);
      }
      if (mine) removeRegistryFile(mine.file);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await command(rest, {
      out: process.stdout,
      err: process.stderr,
      env: process.env,
      signal: controller.signal,
    });
  } catch (e) {
    if (e instanceof DrillError) {
      process.stderr.write(
        `drill: ${e instanceof PrerequisiteError ? 'missing prerequisite: ' : ''}${e.message}\n`,
      );
      return e.exitCode;
    }
    process.stderr.write(
      `drill: internal error: ${describe(e)}\n${process.env.DEBUG && e instanceof Error ? `${e.stack ?? ''}\n` : ''}`,
    );
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
