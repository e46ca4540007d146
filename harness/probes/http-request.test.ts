import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from './http-request.ts';

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
});
