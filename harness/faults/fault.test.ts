import { describe, expect, it } from 'vitest';
import { StepError } from '../core/errors.ts';
import { hostSite } from '../estate/host/site.ts';
import type { Estate } from '../estate/types.ts';
import { parseRunbook } from '../runbook/markdown.ts';
import { Step } from '../runbook/steps/index.ts';
import { Fault, type FaultContext } from './fault.ts';

const doc = parseRunbook(
  [
    '# Releases', // 1
    '```bash id=migrate', // 2
    'echo "migrated for $VERSION by $WHO"', // 3
    '```', // 4
    '```bash id=deploy', // 5
    'echo "deploying $VERSION"', // 6
    'test "$VERSION" != broken', // 7
    'echo "service runs $VERSION"', // 8
    '```', // 9
    '```bash id=hang', // 10
    'sleep 30', // 11
    '```', // 12
  ].join('\n'),
  'docs/releases.md',
);

/** Only what the block executor reads from an estate: how blocks run against it. */
const site = hostSite({ PATH: process.env.PATH ?? '/usr/bin:/bin', TOKEN: 'tok-secret' }, { cwd: '/tmp' });
const estate = {
  shell: () => ({ host: site, database: site, secrets: ['tok-secret'] }),
} as unknown as Estate;

function ctx(signal: AbortSignal = new AbortController().signal, marks: string[] = []): FaultContext {
  return {
    markInstant: () => marks.push('t_f'),
    emit: (fact) => marks.push(fact.kind === 'replication' ? fact.what : fact.state),
    estate,
    signal,
    timeoutMs: 10_000,
    vars: { WHO: 'the release manager' },
    runbook: doc,
    observe: () => ({ probes: [], writes: [], now: 0 }),
  };
}

describe('Fault.block: a fault run by the same block executor as Step.block', () => {
  it('runs its blocks in order with the drill values and its env, and keeps where and what they said', async () => {
    const fault = Fault.block(
      ['migrate', 'deploy'],
      { VERSION: 'v2' },
      { name: 'release v2', target: 'app' },
    );
    expect([fault.name, fault.target, fault.detail]).toEqual(['release v2', 'app', undefined]);
    await fault.inject(ctx());
    expect(fault.detail).toBe(
      'runbook block migrate (docs/releases.md#L2): migrated for v2 by the release manager; ' +
        'runbook block deploy (docs/releases.md#L5): service runs v2',
    );
  });

  it('fails naming the markdown line, exactly as the step does', async () => {
    const fault = Fault.block('deploy', { VERSION: 'broken' });
    const err = await fault.inject(ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).message).toMatch(/runbook block 'deploy' failed at docs\/releases\.md#L7/);
    const stepErr = await Step.block('deploy', { env: () => ({ VERSION: 'broken' }) })
      .run(ctx())
      .catch((e: unknown) => e);
    expect((stepErr as StepError).message).toBe((err as StepError).message);
  });

  it("stops when the drill's signal aborts", async () => {
    const ac = new AbortController();
    const started = performance.now();
    const running = Fault.block('hang').inject(ctx(ac.signal));
    setTimeout(() => ac.abort(new Error('Ctrl-C')), 100);
    await expect(running).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('Fault.after: a condition first, then the failure', () => {
  it('marks t_f just before the failure strikes, and reverts the failure first', async () => {
    const log: string[] = [];
    const fake = (name: string): Fault => ({
      name,
      target: `${name}-target`,
      detail: `${name} done`,
      inject: () => Promise.resolve(void log.push(`inject ${name}`)),
      revert: () => Promise.resolve(void log.push(`revert ${name}`)),
    });
    const fault = Fault.after(fake('lag'), fake('kill'));
    expect([fault.name, fault.target]).toEqual(['kill after lag', 'kill-target']);
    await fault.inject(ctx(undefined, log));
    expect(log).toEqual(['inject lag', 't_f', 'inject kill']);
    expect(fault.detail).toBe('lag done; kill done');
    await fault.revert();
    expect(log.slice(3)).toEqual(['revert kill', 'revert lag']);
  });
});
