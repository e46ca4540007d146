/**
 * The estate's TLS endpoint: a TLS terminator in front of the router's service route, as an ingress or a load
 * balancer with a certificate would be, with a certificate authority made for the run by openssl. The
 * certificate it serves can be replaced while it runs (a renewal, or, to prove the checklist, an expired one).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { run } from '../core/exec.ts';
import type { Estate } from './types.ts';

export interface CertPair {
  cert: string;
  key: string;
  /** The certificate's file (PEM), for the record. */
  certFile: string;
}

/** A per-run certificate authority: its directory, certificate and key files. */
export interface RunCa {
  dir: string;
  caFile: string;
  keyFile: string;
}

const openssl = async (args: string[], cwd: string) => {
  await run('openssl', args, { cwd, timeoutMs: 15_000 });
};

/** A CA for this run only (EC P-256, valid two days), under `dir`. */
export async function makeRunCa(dir: string, runId: string): Promise<RunCa> {
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = run_ca',
      '[ run_ca ]',
      'dir = .',
      'database = index.txt',
      'new_certs_dir = newcerts',
      'serial = serial',
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      '[ any ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  // prettier-ignore
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=drillbook run CA/OU=${runId.slice(-60)}`], dir);
  return { dir, caFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca.key') };
}

/**
 * A server certificate for `host` (and 127.0.0.1), signed by the run's CA, valid from `notBefore` to `notAfter`
 * (an already expired one when both are past).
 */
export async function issueCert(
  ca: RunCa,
  file: string,
  host: string,
  validity: { notBefore: Date; notAfter: Date },
): Promise<CertPair> {
  const stamp = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  writeFileSync(join(ca.dir, `${file}.ext`), `subjectAltName = DNS:${host}, IP:127.0.0.1\n`);
  // prettier-ignore
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${host}`], ca.dir);
  // prettier-ignore
  await openssl(['ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key',
    '-in', `${file}.csr`, '-out', `${file}.pem`, '-extfile', `${file}.ext`,
    '-startdate', stamp(validity.notBefore), '-enddate', stamp(validity.notAfter)], ca.dir);
  return {
    cert: readFileSync(join(ca.dir, `${file}.pem`), 'utf8'),
    key: readFileSync(join(ca.dir, `${file}.key`), 'utf8'),
    certFile: join(ca.dir, `${file}.pem`),
  };
}

/** The TLS endpoint: terminates TLS on 127.0.0.1 and forwards each connection to the service route. */
export class TlsFront {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    readonly ca: RunCa,
    readonly serviceName: string,
    private pair: CertPair,
    private readonly target: { host: string; port: number },
  ) {}

  get certFile(): string {
    return this.pair.certFile;
  }

  async start(): Promise<this> {
    const server = createServer({ cert: this.pair.cert, key: this.pair.key }, (tls) => {
      const up = connect(this.target.port, this.target.host);
      for (const s of [tls, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          tls.destroy();
          up.destroy();
        });
      }
      tls.pipe(up).pipe(tls);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this;
  }

  /** Serve another certificate from the next handshake on (a renewal; or an expired one, to prove a check). */
  replaceCert(pair: CertPair): void {
    this.pair = pair;
    this.server?.setSecureContext({ cert: pair.cert, key: pair.key });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The TLS endpoint of each running estate, by its run directory, so a fault can replace its certificate. */
const fronts = new Map<string, TlsFront>();

export function registerTlsFront(estate: Pick<Estate, 'runDir'>, front: TlsFront): void {
  fronts.set(estate.runDir, front);
}

export function forgetTlsFront(estate: Pick<Estate, 'runDir'>): void {
  fronts.delete(estate.runDir);
}

/** The estate's TLS endpoint, if it has one. */
export function tlsFrontOf(estate: Pick<Estate, 'runDir'>): TlsFront | undefined {
  return fronts.get(estate.runDir);
}
