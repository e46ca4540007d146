/**
 * `redis-failure --alerts` and `q1-db-failover --alerts` on the local backend: outages shorter than the rules'
 * `for`, whose alerts may go pending but must page nobody (docs/monitoring.md). Skipped outside CI without the
 * monitoring packages, saying how to get them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findMonitoringBinary,
  MONITORING_BINARIES,
  MONITORING_REMEDY,
} from '../../harness/estate/monitoring/binaries.ts';
import { drill, readSummary, reportDirOf, tempReportDir } from '../cli.ts';

const missing = (Object.keys(MONITORING_BINARIES) as (keyof typeof MONITORING_BINARIES)[]).filter(
  (b) => !findMonitoringBinary(b),
);
const skip = missing.length > 0 && !process.env.CI;
if (skip)
  console.warn(`skipping the must-not-page drills: ${missing.join(', ')} not found; ${MONITORING_REMEDY}`);

describe.skipIf(skip)('alerts that must not page, on the local backend', () => {
  for (const [id, quiet] of [
    ['redis-failure', ['RedisConnectionFailed']],
    ['q1-db-failover', ['ServiceDown', 'DatabaseConnectionPoolExhausted']],
  ] as const) {
    it(`${id} --alerts: ${quiet.join(', ')} page nobody during the drill's short outage`, async () => {
      const res = await drill(['run', id, '--alerts', '--backend', 'local', '--report-dir', tempReportDir()]);
      expect(res.code, res.stdout + res.stderr).toBe(0);
      const dir = reportDirOf(res.stdout);
      const d = readSummary(dir).drills[0];
      expect(d?.status).toBe('passed');
      const alerts = d?.alerts ?? [];
      for (const name of quiet) {
        const a = alerts.find((x) => x.name === name);
        expect(a, name).toMatchObject({ expected: false, expectation: 'must-not-page' });
        expect(a?.firedAtMs, name).toBeUndefined();
        expect(
          a?.notified.filter((n) => n.atMs !== undefined),
          name,
        ).toEqual([]);
      }
      // No alert at all reached a receiver during these outages.
      expect(alerts.flatMap((a) => a.notified.filter((n) => n.atMs !== undefined))).toEqual([]);
      expect(d?.messages.join('\n')).toContain(`${quiet.join(', ')} paged nobody`);
      expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(
        new RegExp(`\\| ${quiet[0]} \\| critical \\| must not page \\(may go pending\\) \\|`),
      );
    }, 300_000);
  }
});
