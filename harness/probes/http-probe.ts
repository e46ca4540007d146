import type { Clock } from '../core/clock.ts';
import { describe as describeError } from '../core/errors.ts';
import { parseDuration, type DurationString } from '../core/duration.ts';
import { computeRto, finalRto, type RtoOptions } from '../measure/rto.ts';
import { evidenceOf } from '../measure/steady.ts';
import type { ProbeEvent } from '../measure/timeline.ts';
import { once, type Observer, type StartedObserver } from './observer.ts';
import { httpRequest } from './http-request.ts';
import { openLoop } from './open-loop.ts';

export interface HttpProbeOptions {
  /** Full URL through the path clients use (router -> app), e.g. http://127.0.0.1:41234/ready. */
  url: string;
  intervalMs: number;
  timeoutMs: number;
  /** Whether an answer counts as success; a pure function of the status and body (default: 2xx). */
  accept?: (status: number, body: string) => boolean;
}

export const acceptStatus2xx = (status: number): boolean => status >= 200 && status < 300;

/** What a good answer is: the health check's status when the config names one, and the body text if any. */
function acceptOf(
  status: number | undefined,
  bodyIncludes: string | undefined,
): { accept?: (status: number, body: string) => boolean } {
  if (status === undefined) return bodyIncludes ? { accept: acceptBodyIncludes(bodyIncludes) } : {};
  return { accept: (s, body) => s === status && (bodyIncludes === undefined || body.includes(bodyIncludes)) };
}

/** 2xx and a body that contains `text`: a probe of the data clients get, not only of the status code. */
export const acceptBodyIncludes =
  (text: string) =>
  (status: number, body: string): boolean =>
    acceptStatus2xx(status) && body.includes(text);

/**
 * Open-loop HTTP probes at a fixed interval. Each probe opens its own connection (no keep-alive), as a new
 * client would, so a repointed router is seen at once. Results go to `record`; nothing here decides pass/fail
 * beyond applying `accept`.
 */
export class HttpProber {
  private readonly inFlight = new Map<number, number>();
  private loop: { stop(): void } | undefined;
  private sent = 0;

  constructor(
    private readonly clock: Clock,
    private readonly opts: HttpProbeOptions,
    private readonly record: (e: ProbeEvent) => void,
  ) {}

  start(): void {
    this.loop = openLoop(this.clock, this.opts.intervalMs, () => void this.probeOnce());
  }

  /** Stop sending; resolves when every probe in flight has been recorded. */
  async stop(): Promise<void> {
    this.loop?.stop();
    while (this.inFlight.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  /** Every probe sent before this instant has been recorded (see computeRto's `observedUntil`). */
  observedUntil(): number {
    let min = this.clock.now();
    for (const t of this.inFlight.values()) min = Math.min(min, t);
    return min;
  }

  /** Send one probe now and record it. */
  async probeOnce(): Promise<ProbeEvent> {
    const seq = this.sent++;
    const t = this.clock.now();
    this.inFlight.set(seq, t);
    const accept = this.opts.accept ?? acceptStatus2xx;
    let event: ProbeEvent;
    try {
      const res = await httpRequest(this.opts.url, { timeoutMs: this.opts.timeoutMs });
      const servedBy = res.headers['x-served-by'];
      const dbPort = Number(res.headers['x-db-port']);
      event = {
        kind: 'probe',
        seq,
        t,
        end: this.clock.now(),
        ok: accept(res.status, res.body),
        status: res.status,
        ...(servedBy ? { servedBy } : {}),
        ...(Number.isFinite(dbPort) && dbPort > 0 ? { dbPort } : {}),
      };
    } catch (e) {
      event = { kind: 'probe', seq, t, end: this.clock.now(), ok: false, error: describeError(e) };
    }
    this.inFlight.delete(seq);
    this.record(event);
    return event;
  }
}

export interface HttpProbeObserverOptions {
  /** Path on the app through the router (default: the drill's `traffic.probePath`). */
  path?: string;
  /** A probe succeeds only when the body also contains this text (default: `traffic.probeBodyIncludes`). */
  bodyIncludes?: string;
  interval?: DurationString;
  timeout?: DurationString;
}

/**
 * The clients' view: open-loop HTTP probes through the router. It holds the steady state (K good probes and no
 * failure for the window), tells the runner when the service has recovered, and measures the RTO
 * (measure/rto.ts) over its own probe events.
 */
export function httpProbe(opts: HttpProbeObserverOptions = {}): Observer {
  return {
    name: 'http-probe',
    start(ctx) {
      const t = ctx.traffic;
      const path = opts.path ?? t.probePath;
      const bodyIncludes = opts.bodyIncludes ?? t.probeBodyIncludes;
      const intervalMs = opts.interval
        ? parseDuration(opts.interval, 'httpProbe interval')
        : t.probeIntervalMs;
      const probes: ProbeEvent[] = [];
      const prober = new HttpProber(
        ctx.clock,
        {
          url: `${ctx.estate.endpoints.app}${path}`,
          ...acceptOf(opts.path === undefined ? t.probeStatus : undefined, bodyIncludes),
          intervalMs,
          timeoutMs: opts.timeout ? parseDuration(opts.timeout, 'httpProbe timeout') : t.probeTimeoutMs,
        },
        (e) => {
          probes.push(e);
          ctx.emit(e);
        },
      );
      const rtoOptions = (faultAt: number, observedUntil: number): RtoOptions => ({
        faultAt,
        consecutive: t.consecutive,
        settleMs: t.settleMs,
        observedUntil,
        intervalMs,
      });
      prober.start();
      const started: StartedObserver = {
        name: 'http-probe',
        steady: (since) =>
          evidenceOf(
            `every probe of ${path} succeeds`,
            probes.map((p) => ({ t: p.t, badAt: p.end, ok: p.ok })),
            since,
            t.consecutive,
          ),
        recovery: (faultAt) => computeRto(probes, rtoOptions(faultAt, prober.observedUntil())),
        stop: once(() => prober.stop()),
        measure: ({ faultAt, now }) =>
          faultAt === undefined ? {} : { rto: finalRto(probes, rtoOptions(faultAt, now)) },
      };
      return Promise.resolve(started);
    },
  };
}
