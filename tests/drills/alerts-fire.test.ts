import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findMonitoringBinary,
  MONITORING_BINARIES,
  MONITORING_REMEDY,
} from '../../harness/estate/monitoring/binaries.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { drill, readSummary, reportDirOf, ROOT, tempReportDir } from '../cli.ts';
import { expectEveryRuleFired } from './alerts-fire.ts';

const missing = (Object.keys(MONITORING_BINARIES) as (keyof typeof MONITORING_BINARIES)[]).filter(
  (b) => !findMonitoringBinary(b),
);
const root = process.getuid?.() === 0;
const skip = (missing.length > 0 || !root) && !process.env.CI;
if (skip)
  console.warn(
    `skipping alerts-fire on the local backend: ${missing.length ? `${missing.join(', ')} not found; ${MONITORING_REMEDY}` : 'the database volume (a sized tmpfs) needs root; run as root'}`,
  );

describe.skipIf(skip)('alerts-fire on the local backend', () => {
  it('fires every rule in its own outage, notifies exactly the promised receivers, resolves them all', async () => {
    const res = await drill(['run', 'alerts-fire', '--backend', 'local', '--report-dir', tempReportDir()]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const dir = reportDirOf(res.stdout);
    expectEveryRuleFired(dir);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/### Alerts[\s\S]*time scale 1\/40/);
    expect(labelledProcesses(readSummary(dir).runId)).toEqual([]);
  }, 400_000);

  it('a rules file that does not parse: exit 2 naming the file and line, nothing started', async () => {
    const bad = join(tempReportDir(), 'rules.yml');
    writeFileSync(
      bad,
      readFileSync(join(ROOT, 'fixtures/monitoring/rules.yml'), 'utf8').replace('for: 1m', 'for: [1m'),
    );
    const res = await drill(['run', 'alerts-fire', '--backend', 'local', '--rules', bad]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(bad);
    expect(res.stderr).toMatch(/promtool check failed: .*line \d+/);
    expect(res.stdout).not.toMatch(/PASSED|FAILED|ERROR/);
  });

  it('an Alertmanager file amtool refuses: exit 2 naming it', async () => {
    const bad = join(tempReportDir(), 'am.yml');
    writeFileSync(
      bad,
      readFileSync(join(ROOT, 'fixtures/monitoring/alertmanager.yml'), 'utf8').replace(
        'receiver: email',
        'receiver: nobody',
      ),
    );
    const res = await drill(['run', 'alerts-fire', '--backend', 'local', '--alertmanager-config', bad]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(bad);
    expect(res.stderr).toMatch(/amtool check-config failed: .*nobody/);
  });

  it('a receiver that cannot listen (port in use): exit 3 naming it', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const res = await drill(['run', 'alerts-fire', '--backend', 'local', '--report-dir', tempReportDir()], {
        env: { DRILL_ALERT_SMTP_PORT: String(port) },
      });
      expect(res.code, res.stdout + res.stderr).toBe(3);
      expect(res.stdout + res.stderr).toContain(
        `SMTP receiver cannot listen on 127.0.0.1:${port}: the port is in use`,
      );
      expect(res.stdout).not.toMatch(/PASSED|FAILED|ERROR/);
    } finally {
      taken.close();
    }
  }, 120_000);
});
