import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import { drill, readSummary, reportDirOf, tempReportDir } from '../cli.ts';

describe('Ctrl-C during provisioning (local)', () => {
  it('ends the provisioning where it is, tears down what it started and exits 130', async () => {
    let runId: string | undefined;
    let signalled = 0;
    const res = await drill(
      ['run', 'q1-db-failover', '--backend', 'local', '--report-dir', tempReportDir()],
      {
        env: { DRILL_PROGRESS: '1' },
        onStdout(out, child) {
          runId ??= /drill run (\S+):/.exec(out)?.[1];
          // The primary is up; the standby's base backup and the app are still to come.
          if (!signalled && /postgres-primary up/.test(out)) {
            signalled = performance.now();
            child.kill('SIGINT');
          }
        },
      },
    );
    const exitedAfterMs = performance.now() - signalled;
    expect(signalled).toBeGreaterThan(0);
    expect(res.code).toBe(130);
    const dir = reportDirOf(res.stdout);
    const record = JSON.parse(readFileSync(join(dir, 'q1-db-failover.json'), 'utf8')) as DrillRecord;
    // Provisioning itself was cut short (before, it ran to its end and the drill stopped at the next phase).
    const provision = record.timeline.find((e) => e.kind === 'phase' && e.phase === 'provision');
    expect(provision).toMatchObject({ ok: false });
    expect(record.timeline.some((e) => e.kind === 'phase' && e.phase === 'steady')).toBe(false);
    expect(readSummary(dir).drills[0]?.messages.join(' ')).toMatch(/aborted in provision/);
    expect(exitedAfterMs).toBeLessThan(15_000);
    expect(record.teardown.leaks).toEqual([]);
    expect(labelledProcesses(runId ?? '')).toEqual([]);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`drillbook-${runId ?? '?'}`))).toEqual([]);
  });
});
