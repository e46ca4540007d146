import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, parseAnswer, readAnswer } from './http-request.ts';

describe('httpRequest', () => {
  let server: http.Server;
  let base = '';
  let connections = 0;
  const bodies: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(`${req.method} ${req.url} ${body}`);
        res.setHeader('x-served-by', 'app-1');
        res.statusCode = req.url?.startsWith('/missing') ? 404 : 200;
        res.end(JSON.stringify({ ok: true }));
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('GETs and POSTs with the path and query, on a connection of its own each time', async () => {
    const before = connections;
    const a = await httpRequest(`${base}/ready?x=1`, { timeoutMs: 2000 });
    const b = await httpRequest(`${base}/ready?x=1`, { timeoutMs: 2000 });
    const c = await httpRequest(`${base}/orders`, { method: 'POST', json: { qty: 1 }, timeoutMs: 2000 });
    const d = await httpRequest(`${base}/missing`, { timeoutMs: 2000 });
    expect([a.status, b.status, c.status, d.status]).toEqual([200, 200, 200, 404]);
    expect(a.body).toBe('{"ok":true}');
    expect(a.headers['x-served-by']).toBe('app-1');
    expect(bodies.slice(-4)).toEqual([
      'GET /ready?x=1 ',
      'GET /ready?x=1 ',
      'POST /orders {"qty":1}',
      'GET /missing ',
    ]);
    expect(connections - before).toBe(4);
  });

  it('rejects when nothing listens', async () => {
    await expect(httpRequest('http://127.0.0.1:1/ready', { timeoutMs: 2000 })).rejects.toThrow();
  });

  it('reads a chunked answer, and a streamed one without a length, as node:http sends them', async () => {
    const chunked = http.createServer((_req, res) => {
      res.write('{"a":');
      res.end('1}');
    });
    await new Promise<void>((r) => chunked.listen(0, '127.0.0.1', r));
    const port = (chunked.address() as AddressInfo).port;
    try {
      const a = await httpRequest(`http://127.0.0.1:${port}/x`, { timeoutMs: 2000 });
      expect(a.status).toBe(200);
      expect(a.body).toBe('{"a":1}');
    } finally {
      await new Promise<void>((r) => chunked.close(() => r()));
    }
  });
});

describe('httpRequest takes an answer once it is whole', () => {
  // A server that answers in full and then keeps the connection open: the answer is complete by its length (or
  // its last chunk), so it is taken without waiting for a close that does not come, as clients take it.
  async function holdingServer(answer: string): Promise<{ url: string; close: () => Promise<void> }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.once('data', () => s.write(answer));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ready`,
      close: () => {
        for (const s of sockets) s.destroy();
        return new Promise<void>((r) => server.close(() => r()));
      },
    };
  }
  it('by Content-Length, or by the last chunk, before the server closes', async () => {
    for (const answer of [
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    ]) {
      const server = await holdingServer(answer);
      try {
        const started = performance.now();
        const a = await httpRequest(server.url, { timeoutMs: 1500 });
        expect(a).toMatchObject({ status: 200, body: 'ok' });
        expect(performance.now() - started).toBeLessThan(1000);
      } finally {
        await server.close();
      }
    }
  });
  it('times each request out at its own deadline, however many are in flight', async () => {
    const hold = await holdingServer('HTTP/1.1 200 OK\r\n\r\nok');
    const answer = await holdingServer('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    try {
      const started = performance.now();
      const at = (p: Promise<unknown>) =>
        p.then(
          () => ({ ok: true, ms: performance.now() - started }),
          (e: Error) => ({ ok: false, ms: performance.now() - started, why: e.message }),
        );
      const [a, b, c, d] = await Promise.all([
        at(httpRequest(hold.url, { timeoutMs: 200 })),
        at(httpRequest(answer.url, { timeoutMs: 200 })),
        at(new Promise((r) => setTimeout(r, 100)).then(() => httpRequest(hold.url, { timeoutMs: 200 }))),
        at(httpRequest(hold.url, { timeoutMs: 500 })),
      ]);
      expect(a).toMatchObject({ ok: false, why: 'timeout of 200ms exceeded' });
      expect(b.ok).toBe(true);
      expect(c).toMatchObject({ ok: false, why: 'timeout of 200ms exceeded' });
      expect(d).toMatchObject({ ok: false, why: 'timeout of 500ms exceeded' });
      expect(a.ms).toBeGreaterThanOrEqual(199);
      expect(c.ms).toBeGreaterThanOrEqual(299);
      expect(d.ms).toBeGreaterThanOrEqual(499);
      expect(a.ms).toBeLessThan(c.ms);
      expect(c.ms).toBeLessThan(d.ms);
    } finally {
      await hold.close();
      await answer.close();
    }
  });
  it('and still reads an answer without a length to the close, and times out when the close never comes', async () => {
    const server = await holdingServer('HTTP/1.1 200 OK\r\n\r\nok');
    try {
      await expect(httpRequest(server.url, { timeoutMs: 300 })).rejects.toThrow('timeout of 300ms exceeded');
    } finally {
      await server.close();
    }
  });
});

describe('readAnswer', () => {
  const raw = (s: string) => Buffer.from(s, 'latin1');
  it('waits while the head, the body its length names or the last chunk has not come', () => {
    expect(readAnswer(raw('HTTP/1.1 200 OK\r\nContent-Le'), false)).toBeUndefined();
    expect(readAnswer(raw('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nup'), false)).toBeUndefined();
    expect(readAnswer(raw('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nup\r\n'), false)).toBe(
      undefined,
    );
    expect(readAnswer(raw('HTTP/1.1 200 OK\r\n\r\nup'), false)).toBeUndefined();
    expect(readAnswer(raw('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nup'), false)?.body).toBe('up');
    expect(readAnswer(raw('HTTP/1.1 204 No Content\r\n\r\n'), false)?.status).toBe(204);
  });
});

describe('parseAnswer', () => {
  const raw = (s: string) => Buffer.from(s, 'latin1');
  it('takes the status, lower-cased headers and the body its length names', () => {
    const a = parseAnswer(
      raw('HTTP/1.1 503 Service Unavailable\r\nX-Served-By: app-2\r\nContent-Length: 4\r\n\r\ndown'),
    );
    expect(a).toEqual({
      status: 503,
      headers: { 'x-served-by': 'app-2', 'content-length': '4' },
      body: 'down',
    });
  });
  it('decodes chunked coding', () => {
    const a = parseAnswer(
      raw('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n'),
    );
    expect(a.body).toBe('abcde');
  });
  it('calls an answer shorter than it says, or cut before its last chunk, cut off', () => {
    expect(() => parseAnswer(raw('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'))).toThrow(
      'answer cut off',
    );
    expect(() => parseAnswer(raw('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'))).toThrow(
      'answer cut off',
    );
    expect(() => parseAnswer(raw('HTTP/1.1 200 OK\r\nContent-Le'))).toThrow('answer cut off');
  });
  it('refuses what is not HTTP', () => {
    expect(() => parseAnswer(raw('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow('not an HTTP answer');
  });
});
