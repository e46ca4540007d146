/**
 * Benchmark: what the observers' HTTP client costs this process, without a drill around it. The traffic router
 * (harness/estate/router, in a process of its own as on the local backend) forwards to a small Node server in
 * another process that answers as the demo app does (Content-Length, `Connection: close`); this process sends
 * the open-loop traffic of a drill's steady state through it with `harness/probes/http-request.ts`: a GET every
 * `--probe-interval` (default 15 ms) and a POST every 1000 / `--writes` ms (default 50 a second), and measures its
 * own CPU (all threads), its voluntary context switches (wake-ups) and the requests answered over `--seconds`
 * (default 6, after 1.5 s of warm-up).
 *
 *   npm run bench:probe-cpu -- [--seconds N] [--probe-interval MS] [--writes N] [--client FILE]
 *
 * `--client` measures another tree's client (its `harness/probes/http-request.ts`, e.g. a `git worktree` of main)
 * through the same router and server; on a machine shared with other work, alternate the two several times.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { httpRequest as HttpRequest } from '../harness/probes/http-request.ts';

const usage = (why: string): never => {
  console.error(`bench:probe-cpu: ${why}`);
  process.exit(2);
};
let parsed;
try {
  parsed = parseArgs({
    options: {
      seconds: { type: 'string', default: '6' },
      'probe-interval': { type: 'string', default: '15' },
      writes: { type: 'string', default: '50' },
      client: { type: 'string' },
    },
  });
} catch (e) {
  usage(e instanceof Error ? e.message : String(e));
}
const { values } = parsed as NonNullable<typeof parsed>;
const number = (name: string, raw: string, min: number): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) usage(`--${name} must be a number >= ${min}, not '${raw}'`);
  return n;
};
const seconds = number('seconds', values.seconds, 1);
const probeMs = number('probe-interval', values['probe-interval'], 1);
const writes = number('writes', values.writes, 0);
const root = join(import.meta.dirname, '..');
const clientFile = values.client ?? join(root, 'harness', 'probes', 'http-request.ts');
const { httpRequest } = (await import(pathToFileURL(clientFile).href)) as { httpRequest: typeof HttpRequest };

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const post = req.method === 'POST';
    const json = JSON.stringify(post ? { committed: true, id: 1 } : { ready: true, db: { port: 5432 } });
    res.statusCode = post ? 201 : 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(json));
    res.setHeader('x-served-by', 'app-1');
    res.end(json);
  });
});
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

const children: ChildProcess[] = [];
const firstLine = (child: ChildProcess): Promise<string> =>
  new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before it said where it listens`)));
  });
const start = (args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess => {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return child;
};
const stopAll = () => {
  for (const c of children) c.kill();
};
process.once('SIGINT', () => {
  stopAll();
  process.exit(130);
});

try {
  const appPort = Number(await firstLine(start(['-e', SERVER])));
  const routerConfig = { adminPort: 0, routes: [{ name: 'app', listen: 0, target: `127.0.0.1:${appPort}` }] };
  const router = start(['--import', 'tsx', 'harness/estate/router/main.ts'], {
    ...process.env,
    ROUTER_CONFIG: JSON.stringify(routerConfig),
  });
  const listening = JSON.parse(await firstLine(router)) as { routes: { listen: number }[] };
  const base = `http://127.0.0.1:${listening.routes[0]?.listen}`;

  let answered = 0;
  let failed = 0;
  const why = new Map<string, number>();
  const count = (p: Promise<{ status: number }>) =>
    void p.then(
      (a) =>
        a.status < 300
          ? answered++
          : (failed++, why.set(`status ${a.status}`, (why.get(`status ${a.status}`) ?? 0) + 1)),
      (e: unknown) => {
        failed++;
        const m = e instanceof Error ? e.message : String(e);
        why.set(m, (why.get(m) ?? 0) + 1);
      },
    );
  const loop = (intervalMs: number, tick: (seq: number) => void) => {
    const t0 = performance.now();
    let seq = 0;
    let timer: NodeJS.Timeout;
    const next = () => {
      tick(seq++);
      timer = setTimeout(next, Math.max(0, t0 + seq * intervalMs - performance.now()));
    };
    next();
    return () => clearTimeout(timer);
  };
  const stops = [
    loop(probeMs, () => count(httpRequest(`${base}/ready`, { timeoutMs: 1000 }))),
    ...(writes > 0
      ? [
          loop(1000 / writes, (seq) =>
            count(
              httpRequest(`${base}/orders`, { method: 'POST', json: { canarySeq: seq }, timeoutMs: 2000 }),
            ),
          ),
        ]
      : []),
  ];
  const wakeUps = () =>
    readdirSync('/proc/self/task').reduce((sum, t) => {
      const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${t}/status`, 'utf8'));
      return sum + Number(m?.[1] ?? 0);
    }, 0);
  await new Promise((r) => setTimeout(r, 1500));
  const w0 = wakeUps();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const n0 = answered;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(c0);
  const wallMs = performance.now() - t0;
  const woke = wakeUps() - w0;
  const n = answered - n0;
  for (const stop of stops) stop();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `${clientFile}: requests ${n} in ${(wallMs / 1000).toFixed(1)} s (${failed} failed${why.size ? `: ${[...why].map(([m, n]) => `${n}× ${m}`).join('; ')}` : ''})  cpu ${((100 * cpuMs) / wallMs).toFixed(1)} % core` +
      `  ${((1000 * cpuMs) / Math.max(1, n)).toFixed(0)} µs a request  ${(woke / Math.max(1, n)).toFixed(2)} wake-ups a request`,
  );
} finally {
  stopAll();
}
process.exit(0);
