/**
 * `drill checklist` on the local backend: the pre-deployment checklist passes on a healthy estate, and every
 * item is proven to catch what it exists to catch: its condition is broken on the live estate (`--break`) or
 * in the declaration (a missing secret, a service name that does not resolve, a failing gate), and the checklist
 * must fail on exactly that item, with a sentence a person can act on, and hold the rollout.
 */
import { existsSync, mkdtempSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKLIST_BREAKS } from '../../harness/faults/checklist-breaks.ts';
import { findRedisServer } from '../../harness/estate/host/binaries.ts';
import { monitoringPrerequisites } from '../../harness/estate/monitoring/binaries.ts';
import { drillInOwnTmp, ROOT } from '../cli.ts';
import { assertCaughtOnlyBy, checklist, configFile, reportText } from './checklist.ts';

const redis = findRedisServer();
if (!redis && !process.env.CI)
  console.warn('skipping the checklist drills: redis-server not found; apt-get install redis-server');
const isRoot = process.getuid?.() === 0;
if (!isRoot && !process.env.CI)
  console.warn('skipping --break disk-full: it mounts a tmpfs and needs root; run the tests as root');

// The local estate runs Prometheus, Alertmanager and the exporters when their programs are installed.
const noMonitoring = monitoringPrerequisites(process.env).find((p) => !p.ok);
if (noMonitoring && !process.env.CI)
  console.warn(
    `the checklist's Monitoring items will skip and its monitoring breaks are skipped: ${noMonitoring.detail}; ${noMonitoring.remedy ?? ''}`,
  );
const monitoring = !noMonitoring || Boolean(process.env.CI);

const SECRET = 'checklist-secret-value-7f3a91';

/** The directory the disk item looked at (its data directory, in what it said), else the temporary directory. */
function diskDirOf(item: { detail: string; reason?: string } | undefined): string {
  const said = `${item?.detail ?? ''} ${item?.reason ?? ''}`;
  return /(?:^|[\s(])(\/[^\s:]+)/.exec(said)?.[1] ?? tmpdir();
}

/**
 * Free share of the file system holding `dir` (or its nearest existing parent: the run directory is removed by
 * now), in whole percent as the runbook's check computes it from `df -P -B1`: available * 100 / size.
 */
function freePct(dir: string): number {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  const s = statfsSync(d);
  return Math.floor((s.bavail * 100) / s.blocks);
}

describe.skipIf(!redis && !process.env.CI)('drill checklist on the local backend', () => {
  it('passes on a healthy estate (its disk item as this machine’s disk is), every section reported, the declared secret never shown, the rollout started', async () => {
    const config = configFile({
      variables: ['DB_HOST', 'APP_URL'],
      secrets: ['PGPASSWORD', 'DRILL_CHECKLIST_SECRET'],
    });
    const res = await checklist(['--backend', 'local', '--config', config], {
      DRILL_CHECKLIST_SECRET: SECRET,
    });
    const why = `${res.stdout}\n${res.stderr}`;
    const items = res.json.items;
    const by = (id: string) => items.find((i) => i.id === id);
    // The disk item judges this machine's real disk: it must agree with the free share of the file system the
    // database lived on (the run directory's, under the temporary directory), measured here the same way.
    const disk = by('check-disk');
    const free = freePct(diskDirOf(disk));
    const diskFull = free < 20;
    if (Math.abs(free - 20) > 1) expect(disk?.status, JSON.stringify(disk)).toBe(diskFull ? 'fail' : 'pass');
    const diskFailed = disk?.status === 'fail';
    expect(res.code, why).toBe(diskFailed ? 1 : 0);
    expect([...new Set(items.map((i) => i.section))]).toEqual([
      'infrastructure',
      'backup',
      'configuration',
      'testing',
      'monitoring',
    ]);
    for (const i of items) {
      expect(i.source).toMatch(/^fixtures\/runbook\/deployment-runbook\.md#L\d+$/);
      if (i.id === 'check-disk') continue;
      expect(i.status === 'pass' || (i.status === 'skip' && i.reason), JSON.stringify(i)).toBeTruthy();
    }
    // The estate's own Prometheus and Alertmanager (stood up by the checklist), checked through their APIs.
    if (monitoring) {
      expect(by('check-prometheus')?.detail).toMatch(
        /^Prometheus ready at http:\/\/127\.0\.0\.1:\d+; 7 alert rules loaded, every metric they use has series$/,
      );
      expect(by('check-alertmanager')?.detail).toMatch(/^Alertmanager ready at http:\/\/127\.0\.0\.1:\d+ /);
      expect(res.record.criteria.find((c) => c.name === 'alerts')).toMatchObject({ passed: true });
    } else {
      expect(by('check-prometheus')).toMatchObject({ status: 'skip' });
      expect(by('check-prometheus')?.reason).toContain('no Prometheus');
      expect(by('check-alertmanager')).toMatchObject({ status: 'skip' });
    }
    // Not on Kubernetes: the nodes item says so.
    expect(by('check-kube-nodes')).toMatchObject({
      status: 'skip',
      reason: 'the estate does not run on Kubernetes (KUBECONFIG unset)',
    });
    // Everything else ran for real and says what it saw.
    expect(items.filter((i) => i.status === 'pass' || i.id === 'check-disk').map((i) => i.id)).toEqual([
      'check-postgres',
      'check-redis',
      'check-replication',
      'check-disk',
      'check-app',
      'check-router',
      'check-dump',
      'check-base-backup',
      'check-redis-snapshot',
      'check-variables',
      'check-tls',
      'check-dns',
      'check-gates',
      ...(monitoring ? ['check-prometheus', 'check-alertmanager'] : []),
    ]);
    expect(by('check-replication')?.detail).toMatch(/streaming, replay lag \d+ bytes/);
    if (diskFailed) expect(disk?.reason).toMatch(/^only \d+ % free where the database lives .*limit 20 %/);
    else {
      // `disk: DIR N % free (limit 20 %)`: N within a point of what this test measured (other writers move it).
      expect(disk?.detail).toContain(' % free (limit 20 %)');
      const said = Number(disk?.detail.split(' % free (limit 20 %)')[0]?.split(' ').at(-1));
      expect(Math.abs(said - free), disk?.detail).toBeLessThanOrEqual(1);
    }
    expect(by('check-tls')?.detail).toMatch(/certificate for localhost .* \(8\d days\), signed by the CA/);
    expect(by('check-dump')?.detail).toMatch(/pg_restore --list reads \d+ entries/);
    expect(by('check-base-backup')?.detail).toMatch(/backup successfully verified/);
    expect(by('check-variables')?.detail).toContain(
      'secrets PGPASSWORD DRILL_CHECKLIST_SECRET (values not shown)',
    );
    expect(by('check-gates')?.detail).toMatch(/^1 test gates passed/);
    // A full disk holds the rollout; otherwise it starts.
    expect(res.json.rollout).toBe(diskFailed ? 'not started' : 'started');
    // The secret's value is in no output and no report file.
    expect(why).not.toContain(SECRET);
    expect(reportText(res.json.report)).not.toContain(SECRET);
    // The report has its checklist section.
    const md = readFileSync(join(res.json.report, 'report.md'), 'utf8');
    expect(md).toContain('### Pre-deployment checklist');
    expect(md).toMatch(/\| backup \| Logical dump exists, younger than the limit, restorable \| pass \|/);
    expect(readFileSync(join(res.json.report, 'report.html'), 'utf8')).toContain(
      '<h4>Pre-deployment checklist</h4>',
    );
    expect(res.record.criteria.find((c) => c.name === 'checklist')).toMatchObject({ passed: !diskFailed });
  });

  for (const [name, brk] of Object.entries(CHECKLIST_BREAKS)) {
    it.skipIf(
      ((brk.root && !isRoot) || (brk.needs?.includes('monitoring') && !monitoring)) && !process.env.CI,
    )(`--break ${name} (${brk.what}) fails on ${brk.item} only`, async () => {
      const res = await checklist(['--backend', 'local', '--break', name]);
      assertCaughtOnlyBy(res, brk.item);
      expect(res.json.broken).toMatchObject({ name, item: brk.item });
    });
  }

  it.skipIf(!monitoring)(
    'a rule selecting a metric nobody exports (--rules) fails the Prometheus item, naming the rule and the metric',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'drill-checklist-rules-'));
      const rules = join(dir, 'rules.yml');
      writeFileSync(
        rules,
        `${readFileSync(join(ROOT, 'fixtures/monitoring/rules.yml'), 'utf8')}
      - alert: OrdersNotShipped
        expr: rate(orders_shipped_total[5m]) == 0
        for: 10m
        labels:
          severity: warning
`,
      );
      const res = await checklist(['--backend', 'local', '--rules', rules]);
      assertCaughtOnlyBy(res, 'check-prometheus');
      expect(res.json.items.find((i) => i.id === 'check-prometheus')?.reason).toMatch(
        /^alert rule OrdersNotShipped uses the metric orders_shipped_total, of which Prometheus at http:\/\/127\.0\.0\.1:\d+ has no series: the rule can never fire; scrape what exports orders_shipped_total or fix the rule before deploying$/,
      );
    },
  );

  it('a declared secret that is not set fails the variables item, naming it and not its value', async () => {
    const config = configFile({ secrets: ['PGPASSWORD', 'DRILL_CHECKLIST_MISSING_SECRET'] });
    const res = await checklist(['--backend', 'local', '--config', config]);
    assertCaughtOnlyBy(res, 'check-variables');
    expect(res.json.items.find((i) => i.id === 'check-variables')?.reason).toBe(
      'not set for the deployment: DRILL_CHECKLIST_MISSING_SECRET: define them (secrets in the secret store) before deploying',
    );
  });

  it('a service name that does not resolve fails the DNS item only (the certificate is issued for it)', async () => {
    const res = await checklist([
      '--backend',
      'local',
      '--config',
      configFile({ serviceName: 'orders.invalid' }),
    ]);
    assertCaughtOnlyBy(res, 'check-dns');
    expect(res.json.items.find((i) => i.id === 'check-dns')?.reason).toMatch(
      /^the service name orders\.invalid does not resolve/,
    );
  });

  it('a failing test gate fails the testing item, its output kept as evidence', async () => {
    const config = configFile({
      gates: [
        { name: 'smoke', run: 'echo smoke ok' },
        { name: 'integration', run: 'echo "2 of 40 integration tests failed" >&2; exit 3' },
      ],
    });
    const res = await checklist(['--backend', 'local', '--config', config]);
    assertCaughtOnlyBy(res, 'check-gates');
    expect(res.json.items.find((i) => i.id === 'check-gates')?.reason).toBe(
      "the test gate 'integration' fails (2 of 40 integration tests failed): fix what it reports before deploying",
    );
    const item = res.record.checklist?.find((i) => i.id === 'check-gates');
    expect(item?.output).toContain("gate 'smoke' passed: smoke ok");
    expect(item?.output).toContain('2 of 40 integration tests failed');
  });
});

describe('drill checklist refuses bad input before starting anything', () => {
  it('an unknown --break', async () => {
    const res = await drillInOwnTmp(['checklist', '--break', 'nope']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--break must be one of postgres-read-only, .*, not 'nope'/);
    expect(res.created).toEqual([]);
  });
  it('a bad checklist section in the config', async () => {
    const res = await drillInOwnTmp(['checklist', '--config', configFile({ secrets: ['not a name'] })]);
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toMatch(
      /drillbook\.config\.json: checklist\.secrets\.0: expected an environment variable name$/,
    );
    expect(res.created).toEqual([]);
  });
});
