import type { Clock } from '../core/clock.ts';
import { describe as describeError } from '../core/errors.ts';
import { parseDuration, type DurationString } from '../core/duration.ts';
import { computeRpo, toRanges } from '../measure/rpo.ts';
import { evidenceOf } from '../measure/steady.ts';
import type { WriteEvent, WriteOutcome } from '../measure/timeline.ts';
import { once, type Observer, type StartedObserver } from './observer.ts';
import { httpRequest, jsonOrText } from './http-request.ts';
import { openLoop } from './open-loop.ts';

export interface CanaryWriterOptions {
  /** The application's base URL through the router. */
  baseUrl: string;
  /** Label of this run's canary rows. */
  canaryRun: string;
  intervalMs: number;
  timeoutMs: number;
}

/**
 * What a write's answer means for data loss. Only an explicit commit is an ack; only an explicit "not
 * committed" is a failure; everything else (timeouts, cut connections, unexplained 5xx) is indeterminate,
 * because the client cannot know whether the row made it. Pure, so it is tested on its own.
 */
export function classifyWrite(status: number | undefined, body: unknown): WriteOutcome {
  if (status === undefined) return 'indeterminate';
  if (status === 201) return 'ok';
  const committed =
    typeof body === 'object' && body !== null ? (body as { committed?: unknown }).committed : undefined;
  if (status === 409 && committed === true) return 'ok';
  if (committed === false) return 'fail';
  if (status >= 400 && status < 500) return 'fail';
  return 'indeterminate';
}

/**
 * One writer at a fixed rate through the application's write path (POST /orders). Each write carries a strictly
 * increasing seq; its send time, ack time and outcome go to the timeline.
 */
export class CanaryWriter {
  private loop: { stop(): void } | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: CanaryWriterOptions,
    private readonly record: (e: WriteEvent) => void,
  ) {}

  start(): void {
    this.loop = openLoop(this.clock, this.opts.intervalMs, (seq) => {
      const p = this.write(seq).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    });
  }

  /** Stop sending; resolves when every write in flight has its outcome. */
  async stop(): Promise<void> {
    this.loop?.stop();
    await Promise.all([...this.inFlight]);
  }

  private async write(seq: number): Promise<void> {
    const t = this.clock.now();
    let status: number | undefined;
    let body: unknown;
    let error: string | undefined;
    try {
      const res = await httpRequest(`${this.opts.baseUrl}/orders`, {
        method: 'POST',
        json: { item: 'canary', qty: 1, canaryRun: this.opts.canaryRun, canarySeq: seq },
        timeoutMs: this.opts.timeoutMs,
      });
      status = res.status;
      body = jsonOrText(res.body);
    } catch (e) {
      error = describeError(e);
    }
    const end = this.clock.now();
    const outcome = classifyWrite(status, body);
    this.record({
      kind: 'write',
      seq,
      t,
      outcome,
      ...(outcome === 'ok' ? { ack: end } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(error ? { error } : {}),
    });
  }
}

export interface SqlCanaryOptions {
  /** Writes per second (default: the drill's `traffic.writesPerSecond`). */
  rate?: number;
  timeout?: DurationString;
}

/**
 * The database canary: writes through the application's write path, read back after recovery from the
 * authoritative database (wherever the clients' database endpoint points). It holds the steady state (writes
 * acknowledged, none refused) and measures the RPO (measure/rpo.ts); without a fault, loss is measured from
 * the end of observation.
 */
export function sqlCanary(opts: SqlCanaryOptions = {}): Observer {
  return {
    name: 'sql-canary',
    start(ctx) {
      const writes: WriteEvent[] = [];
      const writer = new CanaryWriter(
        ctx.clock,
        {
          baseUrl: ctx.estate.endpoints.app,
          canaryRun: ctx.runId,
          intervalMs: opts.rate ? 1000 / opts.rate : ctx.traffic.writeIntervalMs,
          timeoutMs: opts.timeout
            ? parseDuration(opts.timeout, 'sqlCanary timeout')
            : ctx.traffic.writeTimeoutMs,
        },
        (e) => {
          writes.push(e);
          ctx.emit(e);
        },
      );
      let present: Set<number> | undefined;
      writer.start();
      const started: StartedObserver = {
        name: 'sql-canary',
        steady: (since) =>
          evidenceOf(
            'canary writes acknowledged',
            writes.map((w) => ({ t: w.t, ok: w.outcome === 'ok' })),
            since,
            1,
          ),
        stop: once(() => writer.stop()),
        async readBack({ note }) {
          const db = await ctx.estate.authoritative();
          const rows = await db.query<{ seq: string }>(
            'SELECT canary_seq::text AS seq FROM orders WHERE canary_run = $1',
            [ctx.runId],
          );
          note(`read back ${rows.length} canary rows from ${db.name}`);
          present = new Set(rows.map((r) => Number(r.seq)));
        },
        measure: ({ faultAt, now }) =>
          present
            ? {
                rpo: computeRpo(writes, present, faultAt ?? now),
                canaryRowsRead: present.size,
                presentSeqRanges: toRanges([...present]),
              }
            : {},
      };
      return Promise.resolve(started);
    },
  };
}
