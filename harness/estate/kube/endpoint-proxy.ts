import { createServer, connect, type Server, type Socket } from 'node:net';
import type { KubeConfig, V1Endpoints } from '@kubernetes/client-node';
import { logger } from '../../core/log.ts';

const log = logger('estate');

/** How long each successive connection attempt may take before the next address is tried. */
const CONNECT_TIMEOUTS_MS = [250, 500, 1000, 2000];

/**
 * The Service's traffic on this machine: a TCP listener on the host that sends each new connection to the next
 * ready address of the Service's Endpoints (round robin), following them through a watch, as kube-proxy's
 * userspace mode did. Pods that are not ready, or gone, receive nothing; with no ready address a connection is
 * reset, as from a Service with no endpoints.
 */
export class EndpointProxy {
  private server: Server | undefined;
  private addresses: string[] = [];
  private next = 0;
  private readonly sockets = new Set<Socket>();
  private stopWatch: (() => void) | undefined;
  port = 0;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly service: string,
    private readonly targetPort: number,
  ) {}

  /** Ready addresses now, as "ip:port". */
  ready(): string[] {
    return this.addresses.map((ip) => `${ip}:${this.targetPort}`);
  }

  async start(host: string): Promise<void> {
    const { CoreV1Api, makeInformer } = await import('@kubernetes/client-node');
    const core = this.kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Endpoints>(
      this.kc,
      `/api/v1/namespaces/${this.namespace}/endpoints`,
      () => core.listNamespacedEndpoints({ namespace: this.namespace }),
    );
    const take = (e: V1Endpoints) => {
      if (e.metadata?.name !== this.service) return;
      this.addresses = (e.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
      log.debug(`endpoints ${this.service}: ${this.addresses.join(', ') || 'none ready'}`);
    };
    informer.on('add', take);
    informer.on('update', take);
    informer.on('delete', (e) => {
      if (e.metadata?.name === this.service) this.addresses = [];
    });
    let stopped = false;
    informer.on('error', () => {
      if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 500).unref();
    });
    await informer.start();
    this.stopWatch = () => {
      stopped = true;
      void informer.stop();
    };
    this.server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(0, host, () => resolve());
    });
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
  }

  /**
   * Connect to the next ready address; one that does not accept in time (a pod just deleted: its address
   * answers nothing) is skipped for the next, as kube-proxy's userspace mode retried, with growing timeouts.
   */
  private forward(client: Socket): void {
    client.pause();
    client.on('error', () => client.destroy());
    const attempt = (n: number) => {
      const list = this.addresses;
      if (!list.length || n >= CONNECT_TIMEOUTS_MS.length) {
        client.resetAndDestroy();
        return;
      }
      const ip = list[this.next++ % list.length] as string;
      const upstream = connect({ port: this.targetPort, host: ip, timeout: CONNECT_TIMEOUTS_MS[n] });
      const retry = () => {
        upstream.destroy();
        if (!client.destroyed) attempt(n + 1);
      };
      upstream.once('timeout', retry);
      upstream.once('error', retry);
      upstream.once('connect', () => {
        upstream.removeListener('timeout', retry).removeListener('error', retry).setTimeout(0);
        this.sockets.add(client).add(upstream);
        const done = () => {
          client.destroy();
          upstream.destroy();
          this.sockets.delete(client);
          this.sockets.delete(upstream);
        };
        client.on('close', done);
        upstream.on('error', done).on('close', done);
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  async stop(): Promise<void> {
    this.stopWatch?.();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
