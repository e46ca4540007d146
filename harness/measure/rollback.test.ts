import { describe, expect, it } from 'vitest';
import { rollbackDecision } from './rollback.ts';
import type { ProbeEvent, WriteEvent } from './timeline.ts';

const probe = (t: number, ok: boolean, ms = 5): ProbeEvent => ({ kind: 'probe', seq: t, t, end: t + ms, ok });
const write = (t: number, ok: boolean, ms = 5): WriteEvent =>
  ok
    ? { kind: 'write', seq: t, t, ack: t + ms, outcome: 'ok' }
    : { kind: 'write', seq: t, t, outcome: 'fail' };

describe('rollbackDecision (the seed runbook criteria)', () => {
  it('triggers on a failing health check first', () => {
    const d = rollbackDecision(
      [probe(10, true), probe(20, false), probe(30, false), probe(40, false)],
      [],
      0,
    );
    expect(d).toMatchObject({ triggered: 'health-check', reason: '3 consecutive health probes failed' });
  });

  it('triggers on an error rate above 5 %', () => {
    const writes = Array.from({ length: 40 }, (_, i) => write(i, i % 10 !== 0)); // 10 % fail
    const d = rollbackDecision([probe(1, true)], writes, 0);
    expect(d.triggered).toBe('error-rate');
    expect(d.reason).toMatch(/error rate 9\.8 % > 5 % over 41 requests/);
  });

  it('does not judge a rate on too few requests', () => {
    expect(rollbackDecision([], [write(1, false), write(2, true)], 0).triggered).toBeUndefined();
  });

  it('triggers on p95 latency above 10 s', () => {
    const writes = Array.from({ length: 30 }, (_, i) => write(i, true, i < 25 ? 20 : 11_000));
    expect(rollbackDecision([], writes, 0)).toMatchObject({ triggered: 'latency' });
  });

  it('leaves a healthy release alone and ignores traffic before it', () => {
    const before = Array.from({ length: 30 }, (_, i) => write(i, false));
    const after = Array.from({ length: 30 }, (_, i) => write(100 + i, true));
    expect(rollbackDecision([], [...before, ...after], 100).triggered).toBeUndefined();
  });
});
