/**
 * `drill cleanup`: remove what killed or --keep runs left, proving ownership of everything it kills. A process is
 * killed only when the run registry (harness/estate/host/registry.ts) recorded it, by pid AND start time, for a
 * run whose harness is gone; never a process group it did not create, never this command or its ancestors. A
 * process that merely carries a DRILL_RUN_ID label is reported, not killed. Runs in progress are recognised
 * through the registry (a fixed per-user place), whatever TMPDIR they use.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parse } from '../core/args.ts';
import { isAlive } from '../core/exec.ts';
import { poll } from '../core/poll.ts';
import { labelledProcesses } from '../estate/host/leaks.ts';
import { ownAncestry } from '../estate/host/proc.ts';
import {
  ownerAlive,
  provenProcesses,
  readRegistry,
  removeRegistryFile,
  type RegistryEntry,
} from '../estate/host/registry.ts';
import { findRunDirs, markerOwnerAlive, readMarker, removeRunDir } from '../estate/host/run-dir.ts';
import { BACKENDS } from '../estate/registry.ts';
import type { Io } from './io.ts';

export async function cleanup(argv: string[], io: Io): Promise<number> {
  const { values } = parse('cleanup', argv, {
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    run: { type: 'string' },
  });
  const dry = Boolean(values['dry-run']);
  const force = Boolean(values.force);
  const wanted = (runId: string) => !values.run || runId === values.run;
  const warn = (line: string) => io.err.write(`drill cleanup: ${line}\n`);
  const say = (line: string) => io.out.write(`${line}\n`);

  const registry = readRegistry(warn).filter((e) => e.owner.pid !== process.pid);
  const active = new Set<string>();
  const activeOwner = new Map<string, number>();
  for (const e of registry)
    if (ownerAlive(e.owner))
      for (const r of e.runs) {
        active.add(r.runId);
        activeOwner.set(r.runId, e.owner.pid);
      }

  // Run directories: those under this TMPDIR with a marker, and those the registry names wherever they are.
  const dirs = new Map<string, { runId: string; drillId: string; kept: boolean; owner: number }>();
  for (const d of findRunDirs(tmpdir(), warn)) {
    dirs.set(d.dir, {
      runId: d.marker.runId,
      drillId: d.marker.drillId,
      kept: Boolean(d.marker.kept),
      owner: d.marker.harnessPid,
    });
    if (!d.marker.kept && d.marker.harnessPid !== process.pid && markerOwnerAlive(d.marker))
      active.add(d.marker.runId);
  }
  for (const e of registry)
    for (const r of e.runs) {
      if (dirs.has(r.dir) || !existsSync(r.dir)) continue;
      const m = readMarker(r.dir, warn);
      if (m && m.runId === r.runId)
        dirs.set(r.dir, { runId: r.runId, drillId: r.drillId, kept: Boolean(m.kept), owner: e.owner.pid });
    }
  // A kept estate is not in progress even while its harness's pid lives on (it exited after --keep).
  for (const d of dirs.values()) if (d.kept && !activeOwner.has(d.runId)) active.delete(d.runId);

  // Runs known to be over: their harness is gone (registry, marker) or they were kept.
  const ended = new Set<string>();
  for (const e of registry) if (!ownerAlive(e.owner)) for (const r of e.runs) ended.add(r.runId);
  for (const d of dirs.values()) if (!active.has(d.runId)) ended.add(d.runId);
  const spare = ownAncestry();
  const sweepable = (runId: string) => wanted(runId) && (force || !active.has(runId));
  let removed = 0;

  const killed = new Set<number>();
  const doneEntries: RegistryEntry[] = [];
  for (const e of registry) {
    const alive = ownerAlive(e.owner);
    for (const rec of e.processes) {
      if (!sweepable(rec.runId)) continue;
      for (const pid of provenProcesses(rec, spare)) {
        if (killed.has(pid)) continue;
        killed.add(pid);
        say(`${dry ? 'would kill' : 'kill'} process ${pid} (run ${rec.runId})`);
        if (!dry) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
        removed++;
      }
    }
    if (!alive && (!values.run || e.runs.every((r) => r.runId === values.run))) doneEntries.push(e);
  }
  // Labelled processes no record proves: shown, never killed (the label is only text in an environment).
  for (const p of labelledProcesses(values.run)) {
    if (killed.has(p.pid) || spare.has(p.pid) || active.has(p.runId)) continue;
    say(
      `leave process ${p.pid} alone: it carries DRILL_RUN_ID=${p.runId}, but no record of a run proves drillbook started it`,
    );
  }

  if (!dry && killed.size) {
    // SIGKILL is not instant: wait until every killed process is gone before saying we are done.
    await poll(() => [...killed].every((pid) => !isAlive(pid)) || undefined, {
      subject: 'killed processes to exit',
      timeoutMs: 10_000,
      intervalMs: 50,
    });
  }
  // Containers and clusters go before the run directories: a kept docker estate's containers have the run's
  // archive and data directories mounted, and a server still running in one writes into what is being removed
  // (`drill cleanup` of a kept two-site estate failed that way, once in four).
  for (const b of BACKENDS) {
    removed +=
      (await b.sweep?.({
        ...(values.run ? { runId: values.run } : {}),
        dryRun: dry,
        force,
        active,
        ended,
        log: say,
      })) ?? 0;
  }
  for (const [dir, d] of dirs) {
    if (!wanted(d.runId)) continue;
    if (active.has(d.runId) && !force) {
      say(`skip ${dir}: its run is still in progress (pid ${d.owner}); --force to remove anyway`);
      continue;
    }
    say(`${dry ? 'would remove' : 'remove'} ${dir} (run ${d.runId}, ${d.drillId}${d.kept ? ', kept' : ''})`);
    if (!dry) removeRunDir(dir);
    removed++;
  }
  if (!dry) for (const e of doneEntries) removeRegistryFile(e.file);
  if (removed === 0) say('nothing to clean up');
  return 0;
}
