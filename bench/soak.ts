/**
 * Interrupt soak: run a drill N times through the CLI, interrupt each at a random instant with SIGINT, SIGTERM or
 * SIGKILL, run `drill cleanup --run RUN_ID` after it, and count what is left of that run.
 *
 *   npm run soak -- [--backend local|docker] [--runs N] [--drill ID] [--seed N] [--max-delay DURATION]
 *                   (default: local, 50 runs, q1-db-failover, a random seed, the wall time of one calibration run)
 *
 * Per run it prints the signal, the instant (and the phase the drill was in), how the CLI ended, how long it
 * took to exit, and what was left of the run, looked up independently of drillbook's own bookkeeping:
 *   - processes: labelled with the run id (DRILL_RUN_ID in /proc/PID/environ), or naming the run's directory in
 *     their command line or working directory (a server a runbook block started);
 *   - ports: every TCP port the run's processes and containers listened on when the signal came, still
 *     listening after cleanup;
 *   - containers, networks, volumes: labelled drillbook.run-id=RUN_ID on the Docker engine;
 *   - run directories: `drillbook-RUN_ID-*` in the temporary directory.
 * After SIGINT or SIGTERM the CLI itself must have removed everything (it tears the estate down and exits 130):
 * what it left before `drill cleanup` ran is counted too. Exit status 1 when anything was left in any run, or a
 * CLI did not exit; a table of every run, then totals.
 *
 * It reads only what a user could see (the CLI's output, /proc, the Docker engine, the file system), never
 * drillbook's code, so it soaks any commit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const usage = (why: string): never => {
  console.error(`soak: ${why}`);
  process.exit(2);
};
let parsed;
try {
  parsed = parseArgs({
    options: {
      backend: { type: 'string', default: 'local' },
      runs: { type: 'string', default: '50' },
      drill: { type: 'string', default: 'q1-db-failover' },
      seed: { type: 'string' },
      'max-delay': { type: 'string' },
    },
  });
} catch (e) {
  usage(e instanceof Error ? e.message : String(e));
}
const { values } = parsed as NonNullable<typeof parsed>;
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) usage(`--runs must be a positive integer, not '${values.runs}'`);
const backend = values.backend;
if (!['local', 'docker'].includes(backend)) usage(`--backend must be local or docker, not '${backend}'`);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(seed)) usage(`--seed must be an integer, not '${values.seed}'`);
const maxDelayArg = values['max-delay'];
const maxDelayGiven = maxDelayArg === undefined ? undefined : durationMs(maxDelayArg);
if (maxDelayGiven !== undefined && !(maxDelayGiven > 0))
  usage(`--max-delay must be a duration such as 8s, not '${maxDelayArg}'`);

const root = join(import.meta.dirname, '..');
const drillJs = join(root, 'bin', 'drill.js');
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;
type Sig = (typeof SIGNALS)[number];
const GRACEFUL_EXIT_MS = 60_000;

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text.trim());
  return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
}

/** mulberry32: a small seeded generator, so a soak can be replayed with --seed. */
function random(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- what is left of a run, looked up from outside ----

interface Leftovers {
  processes: string[];
  ports: number[];
  containers: string[];
  networks: string[];
  volumes: string[];
  dirs: string[];
}
const total = (l: Leftovers) =>
  l.processes.length +
  l.ports.length +
  l.containers.length +
  l.networks.length +
  l.volumes.length +
  l.dirs.length;

function pids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}
function readOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return fallback;
  }
}

/** Processes of the run: its label in the environment, or its directory in the command line or cwd. */
function runProcesses(runId: string): { pid: number; what: string }[] {
  const dirMark = `drillbook-${runId}-`;
  const found: { pid: number; what: string }[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    const environ = readOr(`/proc/${pid}/environ`);
    const cmdline = readOr(`/proc/${pid}/cmdline`).replace(/\0/g, ' ').trim();
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone, or a kernel thread
    }
    const stat = readOr(`/proc/${pid}/stat`);
    if (/^\d+ \(.*\) Z /.test(stat)) continue; // a zombie holds nothing; its parent reaps it
    if (
      environ.split('\0').includes(`DRILL_RUN_ID=${runId}`) ||
      cmdline.includes(dirMark) ||
      cwd.includes(dirMark)
    )
      found.push({ pid, what: `${pid} ${cmdline.slice(0, 80)}` });
  }
  return found;
}

/** TCP ports in LISTEN state, with the socket inode that holds each. */
function listening(): Map<number, number[]> {
  const byInode = new Map<number, number[]>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readOr(file).split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A') continue;
      const port = parseInt(f[1]?.split(':')[1] ?? '', 16);
      const inode = Number(f[9]);
      if (port > 0) byInode.set(inode, [...(byInode.get(inode) ?? []), port]);
    }
  }
  return byInode;
}
function listeningPorts(): Set<number> {
  return new Set([...listening().values()].flat());
}

/** Ports the given processes listen on. */
function portsOf(pidList: number[]): number[] {
  const byInode = listening();
  const out = new Set<number>();
  for (const pid of pidList) {
    const fds = (() => {
      try {
        return readdirSync(`/proc/${pid}/fd`);
      } catch {
        return [];
      }
    })();
    for (const fd of fds) {
      const link = (() => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      })();
      const m = /^socket:\[(\d+)\]$/.exec(link);
      for (const p of (m && byInode.get(Number(m[1]))) || []) out.add(p);
    }
  }
  return [...out];
}

function docker(args: string[]): string[] {
  const res = spawnSync('docker', args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`docker ${args.join(' ')}: ${res.stderr.trim()}`);
  return res.stdout.split('\n').filter(Boolean);
}
const label = (runId: string) => `label=drillbook.run-id=${runId}`;

/** Host ports the run's containers publish. */
function containerPorts(runId: string): number[] {
  if (backend !== 'docker') return [];
  const lines = docker(['ps', '-a', '--filter', label(runId), '--format', '{{.Ports}}']);
  return lines.flatMap((l) => [...l.matchAll(/:(\d+)->/g)].map((m) => Number(m[1])));
}

function leftovers(runId: string, estatePorts: number[]): Leftovers {
  const procs = runProcesses(runId);
  const open = listeningPorts();
  const dockerLeft =
    backend === 'docker'
      ? {
          containers: docker(['ps', '-a', '--filter', label(runId), '--format', '{{.Names}} ({{.State}})']),
          networks: docker(['network', 'ls', '--filter', label(runId), '--format', '{{.Name}}']),
          volumes: docker(['volume', 'ls', '--filter', label(runId), '--format', '{{.Name}}']),
        }
      : { containers: [], networks: [], volumes: [] };
  return {
    processes: procs.map((p) => p.what),
    ports: [...new Set([...estatePorts.filter((p) => open.has(p)), ...portsOf(procs.map((p) => p.pid))])],
    ...dockerLeft,
    dirs: readdirSync(tmpdir())
      .filter((n) => n.startsWith(`drillbook-${runId}-`))
      .map((n) => join(tmpdir(), n)),
  };
}

// ---- one interrupted run ----

interface Outcome {
  run: number;
  signal: Sig;
  atMs: number;
  phase: string;
  runId?: string;
  exit: string;
  exitMs?: number;
  beforeCleanup?: Leftovers;
  after: Leftovers;
  notes: string[];
}

function runDrill(reportDir: string) {
  return spawn(
    process.execPath,
    [drillJs, 'run', values.drill, '--backend', backend, '--report-dir', reportDir],
    {
      cwd: root,
      env: { ...process.env, DRILL_PROGRESS: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

function watch(child: ReturnType<typeof runDrill>) {
  const state = { runId: undefined as string | undefined, phase: 'start-up', out: '', harnessPid: child.pid };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    state.out += chunk;
    state.runId ??= /^drill run (\S+):/m.exec(state.out)?.[1];
    for (const m of chunk.matchAll(/^ {2}\S+ {2}(\w[\w-]*) +…$/gm)) state.phase = m[1] ?? state.phase;
  });
  child.stderr.on('data', (chunk: string) => (state.out += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return { state, exited };
}

/** The run id of a run killed before it printed one: a run directory whose marker names the CLI's pid. */
function runIdByHarness(harnessPid: number | undefined): string | undefined {
  for (const n of readdirSync(tmpdir()).filter((x) => x.startsWith('drillbook-'))) {
    const marker = readOr(join(tmpdir(), n, '.drillbook-run.json'));
    try {
      const m = JSON.parse(marker) as { runId?: string; harnessPid?: number };
      if (m.harnessPid === harnessPid && m.runId) return m.runId;
    } catch {
      // not a marker we can read
    }
  }
  return undefined;
}

async function calibrate(): Promise<number> {
  const reportDir = mkdtempSync(join(tmpdir(), 'drill-soak-'));
  try {
    const started = performance.now();
    const child = runDrill(reportDir);
    const { state, exited } = watch(child);
    const end = await exited;
    // Only its duration matters here (the window the signals fall in); a failed drill is the drills' tests' to
    // report, as long as the CLI ran and exited on its own.
    if (end.code !== 0 && end.code !== 1) {
      console.error(`soak: the uninterrupted calibration run exited ${end.code}:\n${state.out.slice(-2000)}`);
      process.exit(1);
    }
    if (end.code === 1)
      console.log('soak: note: the calibration drill failed (its wall time still sets the window)');
    return end.at - started;
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

async function interrupted(run: number, signal: Sig, atMs: number): Promise<Outcome> {
  const reportDir = mkdtempSync(join(tmpdir(), 'drill-soak-'));
  const notes: string[] = [];
  try {
    const child = runDrill(reportDir);
    const { state, exited } = watch(child);
    const early = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), atMs)),
    ]);
    if (early) notes.push('the drill ended before the signal');
    const runId = state.runId ?? runIdByHarness(state.harnessPid);
    const estatePorts = runId
      ? [...portsOf(runProcesses(runId).map((p) => p.pid)), ...containerPorts(runId)]
      : [];
    const sentAt = performance.now();
    if (!early) child.kill(signal);
    const phase = state.phase;
    const end = await Promise.race([
      exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), GRACEFUL_EXIT_MS)),
    ]);
    let exit: string;
    if (!end) {
      exit = `no exit in ${GRACEFUL_EXIT_MS / 1000} s`;
      child.kill('SIGKILL');
      await exited;
    } else exit = end.signal ? end.signal : `exit ${end.code}`;
    // Before the CLI has its handlers (node still loading it), the signal's default action ends it: harmless
    // while no run has started. Once a run exists, SIGINT and SIGTERM must tear it down and exit 130.
    const startedRun = runId ?? runIdByHarness(state.harnessPid);
    // A signal that lands as the process leaves (its work done, its event loop ended) is never dispatched to a
    // handler: the CLI exits with the drill's own verdict, having printed no "stopping" line. That run was not
    // interrupted. A signal that was handled must end in 130.
    const handled = /^drill: SIG(?:INT|TERM): stopping/m.test(state.out);
    const finishedFirst =
      !handled && (end?.code === 0 || end?.code === 1) && /^report: .*report\.md$/m.test(state.out);
    if (finishedFirst && !early)
      notes.push(`the signal landed as the CLI was leaving, after its report (exit ${end?.code})`);
    if (
      signal !== 'SIGKILL' &&
      end &&
      !early &&
      !finishedFirst &&
      end.code !== 130 &&
      (startedRun || end.signal === null)
    )
      notes.push(`exit ${end.code ?? end.signal} after ${signal} (130 expected)`);
    if (signal !== 'SIGKILL' && end?.signal && !startedRun)
      notes.push('ended by the signal before any run started');
    const id = runId ?? runIdByHarness(state.harnessPid);
    const beforeCleanup = id && signal !== 'SIGKILL' ? leftovers(id, estatePorts) : undefined;
    if (id) {
      const res = spawnSync(process.execPath, [drillJs, 'cleanup', '--run', id], {
        cwd: root,
        encoding: 'utf8',
      });
      if (res.status !== 0)
        notes.push(`drill cleanup exited ${res.status}: ${res.stderr.trim().slice(0, 200)}`);
    }
    const after = id
      ? leftovers(id, estatePorts)
      : { processes: [], ports: [], containers: [], networks: [], volumes: [], dirs: [] };
    return {
      run,
      signal,
      atMs,
      phase,
      ...(id ? { runId: id } : {}),
      exit,
      ...(end ? { exitMs: end.at - sentAt } : {}),
      ...(beforeCleanup ? { beforeCleanup } : {}),
      after,
      notes,
    };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

// ---- the soak ----

const rand = random(seed);
const s = (ms: number) => (ms / 1000).toFixed(2);
console.log(`soak: ${values.drill} on ${backend}, ${runs} runs, seed ${seed}`);
// The shorter of two uninterrupted runs: the first on a machine may pay one-off costs (a cache to fill, an image's
// account to ask), and a window longer than a run lets signals land after the drill ended, testing nothing (CI's
// docker soak once calibrated at 18.5 s for 9 s runs: half its signals came too late).
const maxDelay = maxDelayGiven ?? Math.min(await calibrate(), await calibrate());
console.log(
  `signals at a uniformly random instant in [0, ${s(maxDelay)} s]${maxDelayGiven ? '' : ' (the shorter wall time of two uninterrupted runs)'}`,
);
console.log(
  'run  signal   at(s)  phase       exit      exit(s)  left-before-cleanup  procs ports ctrs nets vols dirs  run id',
);
const outcomes: Outcome[] = [];
for (let i = 1; i <= runs; i++) {
  const signal = SIGNALS[(i - 1) % SIGNALS.length] as Sig;
  const atMs = Math.round(rand() * maxDelay);
  const o = await interrupted(i, signal, atMs);
  outcomes.push(o);
  const a = o.after;
  console.log(
    [
      String(i).padStart(3),
      ` ${signal.padEnd(7)}`,
      s(atMs).padStart(6),
      ` ${o.phase.padEnd(10)}`,
      o.exit.padEnd(9),
      (o.exitMs === undefined ? '—' : s(o.exitMs)).padStart(8),
      (o.beforeCleanup ? String(total(o.beforeCleanup)) : '—').padStart(20),
      String(a.processes.length).padStart(6),
      String(a.ports.length).padStart(5),
      String(a.containers.length).padStart(4),
      String(a.networks.length).padStart(4),
      String(a.volumes.length).padStart(4),
      String(a.dirs.length).padStart(4),
      ` ${o.runId ?? '(none started)'}`,
    ].join(' '),
  );
  const details = [
    ...o.notes,
    ...(o.beforeCleanup && total(o.beforeCleanup)
      ? [`left by the CLI itself: ${JSON.stringify(o.beforeCleanup)}`]
      : []),
    ...(total(a) ? [`left after drill cleanup: ${JSON.stringify(a)}`] : []),
  ];
  for (const d of details) console.log(`       ${d}`);
}

const bad = outcomes.filter(
  (o) =>
    total(o.after) > 0 ||
    (o.beforeCleanup !== undefined && total(o.beforeCleanup) > 0) ||
    o.exit.startsWith('no exit') ||
    o.notes.some((n) => n.includes('expected') || n.startsWith('drill cleanup')),
);
const sum = (f: (l: Leftovers) => number) => outcomes.reduce((n, o) => n + f(o.after), 0);
console.log(
  `\n${runs} runs (${SIGNALS.map((sig) => `${outcomes.filter((o) => o.signal === sig).length} ${sig}`).join(', ')}): ` +
    `left after cleanup: ${sum((l) => l.processes.length)} processes, ${sum((l) => l.ports.length)} ports, ` +
    `${sum((l) => l.containers.length)} containers, ${sum((l) => l.networks.length)} networks, ` +
    `${sum((l) => l.volumes.length)} volumes, ${sum((l) => l.dirs.length)} run directories; ` +
    `left by an interrupted CLI before cleanup: ${outcomes.filter((o) => o.beforeCleanup && total(o.beforeCleanup)).length} runs; ` +
    `runs with a finding: ${bad.length}`,
);
const exitTimes = outcomes
  .filter((o) => o.signal !== 'SIGKILL' && o.exitMs !== undefined)
  .map((o) => o.exitMs ?? 0);
if (exitTimes.length)
  console.log(
    `SIGINT/SIGTERM to exit: median ${s([...exitTimes].sort((a, b) => a - b)[Math.floor((exitTimes.length - 1) / 2)] ?? 0)} s, max ${s(Math.max(...exitTimes))} s`,
  );
process.exit(bad.length ? 1 : 0);
