import { describe, expect, it } from 'vitest';
import { clientImpactCriterion } from '../drill/verdict.ts';
import { measureClientImpact } from './impact.ts';
import type { TimelineEvent } from './timeline.ts';

const probe = (t: number, ok: boolean): TimelineEvent => ({
  kind: 'probe',
  seq: t,
  t,
  end: t + 5,
  ok,
  ...(ok ? { status: 200 } : { status: 503 }),
});
const write = (t: number, outcome: 'ok' | 'fail' | 'indeterminate'): TimelineEvent => ({
  kind: 'write',
  seq: t,
  t,
  outcome,
  ...(outcome === 'ok' ? { ack: t + 3 } : {}),
});

describe('client impact', () => {
  it('none when every probe succeeded and every write was acknowledged', () => {
    const c = measureClientImpact([probe(0, true), probe(100, true), write(10, 'ok'), write(30, 'ok')]);
    expect(c).toEqual({
      since: 0,
      probes: 2,
      failedProbes: 0,
      writes: 2,
      ackedWrites: 2,
      refusedWrites: 0,
      indeterminateWrites: 0,
    });
    expect(clientImpactCriterion('"m"', c)).toMatchObject({
      passed: true,
      measured: '0 of 2 probes failed, 0 of 2 writes refused (0 unanswered)',
    });
  });

  it('one failed probe fails it, naming the first failure', () => {
    const c = measureClientImpact([probe(0, true), probe(100, false), write(10, 'ok')]);
    expect(c.firstFailure).toEqual({ t: 100, what: 'probe 503' });
    expect(clientImpactCriterion('"m"', c)).toMatchObject({
      passed: false,
      message: expect.stringContaining('first: probe 503') as unknown,
    });
  });

  it('one refused write fails it', () => {
    const c = measureClientImpact([probe(0, true), write(10, 'ok'), write(20, 'fail')]);
    expect(c.refusedWrites).toBe(1);
    expect(clientImpactCriterion('"m"', c).passed).toBe(false);
  });

  it('counts from the instant the steady state held', () => {
    const c = measureClientImpact(
      [probe(0, false), write(5, 'fail'), probe(100, true), write(110, 'ok')],
      50,
    );
    expect(c).toMatchObject({ since: 50, probes: 1, failedProbes: 0, writes: 1, refusedWrites: 0 });
  });

  it('no traffic at all is not "no impact"', () => {
    expect(clientImpactCriterion('"m"', measureClientImpact([])).message).toBe(
      'no traffic observed for "m": nothing to measure the impact on',
    );
  });
});
