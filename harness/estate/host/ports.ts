import { connect, createServer } from 'node:net';

/**
 * Ports this process has handed out: drills run side by side (`--parallel`) each ask for theirs between
 * closing the probe socket and binding, when the kernel may offer a just-closed port again. Never handing one
 * out twice keeps concurrent estates of one harness apart; the set is small (8 ports a drill).
 */
const handedOut = new Set<number>();

/**
 * Ask the kernel for free ports on 127.0.0.1, none this process handed out before. Ports are held open until
 * all are chosen, so one call never returns the same port twice; another program could still take one before
 * we bind, which start-up detects.
 */
export async function freePorts(n: number): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    const ports = await kernelPorts(n);
    if (ports.some((p) => handedOut.has(p)) && attempt < 20) continue;
    for (const p of ports) handedOut.add(p);
    return ports;
  }
}

async function kernelPorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const addr = s.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, timeoutMs = 500, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (open: boolean) => {
      sock.destroy();
      resolve(open);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
