/**
 * Benchmark: wall time of whole drills through the CLI, and the time of each phase from the drill record, on one
 * or more backends.
 *
 *   npm run bench -- [drill-id ...] [--runs N] [--backend local,docker]
 *                                   (default: q1-db-failover, 3 runs, every backend the drill runs on)
 *
 * Prints one row per run: provision, steady, fault-to-recovery (RTO) and recovery confirmed (incl. the settle
 * window), after, teardown, and the CLI's wall time from start to exit (process start-up and reports included);
 * then, per drill, the median of each phase with the backends side by side.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DrillRecord } from '../harness/drill/record.ts';
import { phaseDurations } from '../harness/drill/record.ts';
import { missingCapabilities } from '../harness/estate/backend.ts';
import { BACKENDS, backendNamed } from '../harness/estate/registry.ts';
import { loadScenarios } from '../scenarios/index.ts';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, backend: { type: 'string' } },
  allowPositionals: true,
});
const ids = positionals.length ? positionals : ['q1-db-failover'];
const runs = Number(values.runs);
const NAMES = BACKENDS.map((b) => b.name);
const wanted = values.backend?.split(',').map((b) => b.trim()) ?? NAMES;
for (const b of wanted) {
  if (!NAMES.includes(b)) {
    console.error(`bench: --backend must be a comma-separated list of ${NAMES.join(', ')}, not '${b}'`);
    process.exit(2);
  }
}
const root = join(import.meta.dirname, '..');
const s = (ms: number | undefined) => (ms === undefined ? '—' : (ms / 1000).toFixed(2));
const COLUMNS = [
  'provision',
  'steady',
  'fault→recovered',
  'recovery-confirmed',
  'after',
  'teardown',
  'wall',
] as const;
type Column = (typeof COLUMNS)[number];
type Row = Partial<Record<Column, number>>;

const drills = await loadScenarios();
const rows = new Map<string, Row[]>(); // `${id} ${backend}` -> runs

console.log(
  `${process.platform}-${process.arch}, ${(await import('node:os')).cpus().length} cores, node ${process.version}`,
);
console.log(
  'drill                   backend  run  provision  steady  fault→recovered  recovery-confirmed  after  teardown  wall(s)  status',
);
for (const id of ids) {
  const def = drills.find((d) => d.id === id);
  for (const backend of wanted) {
    if (def && missingCapabilities(backendNamed(backend), def.needs).length) {
      console.log(`${id.padEnd(23)} ${backend.padEnd(8)} (does not run on ${backend})`);
      continue;
    }
    for (let i = 1; i <= runs; i++) {
      const reportDir = mkdtempSync(join(tmpdir(), 'drill-bench-'));
      const started = performance.now();
      const res = spawnSync(
        process.execPath,
        [join(root, 'bin', 'drill.js'), 'run', id, '--backend', backend, '--report-dir', reportDir],
        { encoding: 'utf8', env: { ...process.env, CI: '1' } },
      );
      const wall = performance.now() - started;
      const dir = /^report: (.+)\/report\.md$/m.exec(res.stdout)?.[1];
      if (!dir) {
        console.log(`${id} ${backend}: no report (exit ${res.status}): ${res.stderr.trim()}`);
        continue;
      }
      const record = JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as DrillRecord & {
        status: string;
      };
      const p = phaseDurations(record);
      const rto = record.measurements?.rto;
      const recoveryPhase = record.timeline.find((e) => e.kind === 'phase' && e.phase === 'recovery');
      const row: Row = {
        ...(p.provision !== undefined ? { provision: p.provision } : {}),
        ...(p.steady !== undefined ? { steady: p.steady } : {}),
        ...(rto?.status === 'recovered' ? { 'fault→recovered': rto.rtoMs } : {}),
        ...(recoveryPhase?.kind === 'phase' && recoveryPhase.end !== undefined && record.faultAt !== undefined
          ? { 'recovery-confirmed': recoveryPhase.end - record.faultAt }
          : {}),
        ...(p.after !== undefined ? { after: p.after } : {}),
        ...(p.teardown !== undefined ? { teardown: p.teardown } : {}),
        wall,
      };
      const key = `${id} ${backend}`;
      rows.set(key, [...(rows.get(key) ?? []), row]);
      console.log(
        [
          id.padEnd(23),
          backend.padEnd(8),
          String(i).padStart(3),
          s(row.provision).padStart(10),
          s(row.steady).padStart(7),
          s(row['fault→recovered']).padStart(16),
          s(row['recovery-confirmed']).padStart(19),
          s(row.after).padStart(6),
          s(row.teardown).padStart(9),
          s(row.wall).padStart(8),
          ` ${record.status}`,
        ].join(' '),
      );
      rmSync(reportDir, { recursive: true, force: true });
    }
  }
}

// Side by side: the median of each phase per backend.
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : undefined;
};
for (const id of ids) {
  const present = wanted.filter((b) => rows.has(`${id} ${b}`));
  if (present.length === 0) continue;
  console.log(`\n${id}: median of ${runs} run${runs > 1 ? 's' : ''} (s)`);
  console.log(`${'phase'.padEnd(20)}${present.map((b) => b.padStart(10)).join('')}`);
  for (const col of COLUMNS) {
    const cells = present.map((b) => {
      const xs = (rows.get(`${id} ${b}`) ?? [])
        .map((r) => r[col])
        .filter((x): x is number => x !== undefined);
      return s(median(xs)).padStart(10);
    });
    console.log(`${col.padEnd(20)}${cells.join('')}`);
  }
}
