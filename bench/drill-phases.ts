/**
 * Benchmark: wall time of whole drills through the CLI, and the time of each phase from the drill record.
 *
 *   npm run bench -- [drill-id ...] [--runs N]      (default: q1-db-failover, 3 runs)
 *
 * Prints one row per run: provision, steady, fault-to-recovery (RTO) and recovery confirmed (incl. the settle
 * window), after, teardown, and the CLI's wall time from start to exit (process start-up and reports included).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DrillRecord } from '../harness/drill/record.ts';
import { phaseDurations } from '../harness/drill/record.ts';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '3' } },
  allowPositionals: true,
});
const ids = positionals.length ? positionals : ['q1-db-failover'];
const runs = Number(values.runs);
const root = join(import.meta.dirname, '..');
const s = (ms: number | undefined) => (ms === undefined ? '—' : (ms / 1000).toFixed(2));

console.log(
  `${process.platform}-${process.arch}, ${(await import('node:os')).cpus().length} cores, node ${process.version}`,
);
console.log(
  'drill                 run  provision  steady  fault→recovered  recovery-confirmed  after  teardown  wall(s)  status',
);
for (const id of ids) {
  for (let i = 1; i <= runs; i++) {
    const reportDir = mkdtempSync(join(tmpdir(), 'drill-bench-'));
    const started = performance.now();
    const res = spawnSync(
      process.execPath,
      [join(root, 'bin', 'drill.js'), 'run', id, '--report-dir', reportDir],
      { encoding: 'utf8', env: { ...process.env, CI: '1' } },
    );
    const wall = performance.now() - started;
    const dir = /^report: (.+)\/report\.md$/m.exec(res.stdout)?.[1];
    if (!dir) {
      console.log(`${id}: no report (exit ${res.status}): ${res.stderr.trim()}`);
      continue;
    }
    const record = JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as DrillRecord & {
      status: string;
    };
    const p = phaseDurations(record);
    const rto = record.measurements?.rto;
    const recoveredIn = rto?.status === 'recovered' ? rto.rtoMs : undefined;
    const recoveryPhase = record.timeline.find((e) => e.kind === 'phase' && e.phase === 'recovery');
    const confirmed =
      recoveryPhase?.kind === 'phase' && recoveryPhase.end !== undefined && record.faultAt !== undefined
        ? recoveryPhase.end - record.faultAt
        : undefined;
    console.log(
      [
        id.padEnd(21),
        String(i).padStart(3),
        s(p.provision).padStart(10),
        s(p.steady).padStart(7),
        s(recoveredIn).padStart(16),
        s(confirmed).padStart(19),
        s(p.after).padStart(6),
        s(p.teardown).padStart(9),
        s(wall).padStart(8),
        ` ${record.status}`,
      ].join(' '),
    );
    rmSync(reportDir, { recursive: true, force: true });
  }
}
