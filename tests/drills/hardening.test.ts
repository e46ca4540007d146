/**
 * The CLI as a careless or hostile user drives it: paths that cannot take the output, a malformed config, a
 * backend that runs only some of the drills. Each case is what a user would observe: the exit code, one line,
 * nothing started, or the evidence kept somewhere named.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { drill, drillInOwnTmp, readSummary, reportDirOf } from '../cli.ts';

const work = mkdtempSync(join(tmpdir(), 'drill-hardening-'));
// The unprivileged database account must be able to reach run directories made under it.
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('every flag and path of drill run is checked before anything starts', () => {
  const aFile = join(work, 'a-file');
  writeFileSync(aFile, 'not a directory\n');
  const badConfig = join(work, 'bad.config.json');
  writeFileSync(badConfig, '{ "docker": ');
  const badSigning = join(work, 'bad-signing.config.json');
  writeFileSync(badSigning, JSON.stringify({ signing: { trustedPublicKey: 'missing.pub.pem' } }));

  it.each([
    [
      ['run', 'q1-db-failover', '--report-dir', aFile],
      {},
      /--report-dir .*a-file: is a file, not a directory/,
    ],
    [
      ['run', 'q1-db-failover', '--report-dir', join(aFile, 'under')],
      {},
      /--report-dir .*a-file is a file, not a directory/,
    ],
    [
      ['run', 'q1-db-failover', '--evidence', join(work, 'none.json')],
      {},
      /evidence file .*none\.json: cannot be read/,
    ],
    [
      ['run', 'q1-db-failover', '--signing-key', join(work, 'none.pem')],
      {},
      /signing key \(--signing-key .*none\.pem\): cannot be read/,
    ],
    [['run', 'q1-db-failover', '--runbook', join(work, 'none.md')], {}, /runbook .*none\.md: cannot read/],
    // --backend auto with no Docker engine picks local, which never read the config: still exit 2, naming it.
    [
      ['run', 'q1-db-failover', '--backend', 'auto'],
      { DRILL_CONFIG: badConfig, DOCKER_HOST: 'tcp://127.0.0.1:1' },
      /bad\.config\.json: not valid JSON/,
    ],
    [
      ['run', 'q1-db-failover', '--backend', 'local'],
      { DRILL_CONFIG: badSigning },
      /bad-signing\.config\.json: signing\.trustedPublicKey .*missing\.pub\.pem: cannot be read/,
    ],
  ])('drill %j exits 2 with one line and starts nothing', async (args, env, message) => {
    const res = await drillInOwnTmp(args, env);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
    expect(res.created).toEqual([]);
  });

  it('writes the reports to a named fallback when the report dir cannot take them at the end, and keeps the verdict', async () => {
    const tmp = mkdtempSync(join(work, 'tmp-'));
    chmodSync(tmp, 0o755);
    const reports = join(work, 'reports-that-become-a-file');
    // Once the drill's estate exists (its run directory appears), the report dir is made a file: the check at the
    // start passed, the write at the end cannot.
    const sabotage = setInterval(() => {
      if (readdirSync(tmp).some((n) => n.startsWith('drillbook-')) && !existsSync(reports)) {
        writeFileSync(reports, 'in the way\n');
        clearInterval(sabotage);
      }
    }, 20);
    const res = await drill(['run', 'q1-db-failover', '--backend', 'local', '--report-dir', reports], {
      env: { TMPDIR: tmp },
    });
    clearInterval(sabotage);
    expect(existsSync(reports)).toBe(true);
    expect(res.stdout, res.stdout + res.stderr).toMatch(/^PASSED q1-db-failover /m);
    const m = /reports could not be written to (\S+) \(.*\); writing them to (\S+) instead/.exec(res.stderr);
    expect(m, res.stderr).not.toBeNull();
    const runDir = reportDirOf(res.stdout);
    expect(runDir.startsWith(m?.[2] ?? '?')).toBe(true);
    const summary = readSummary(runDir);
    expect(res.code).toBe(summary.status === 'passed' ? 0 : 1);
    expect(res.stderr).not.toMatch(/internal error/);
    rmSync(m?.[2] ?? '', { recursive: true, force: true });
  });
});

describe('a backend given with no drill named', () => {
  it('runs every drill that backend supports and names the ones left out, and why', async () => {
    const reports = mkdtempSync(join(work, 'q4-'));
    const res = await drill(['run', '--backend', 'local', '--quarter', 'Q4', '--report-dir', reports]);
    expect(res.code, res.stderr).not.toBe(2);
    expect(res.stderr).toMatch(
      /left out: deploy-rollback-docker does not run on the local backend \(it needs compose; runs on docker\)/,
    );
    const summary = readSummary(reportDirOf(res.stdout));
    expect(summary.drills.map((d) => d.id).sort()).toEqual(['db-migration-rollback', 'redis-failure']);
    expect(res.code).toBe(summary.status === 'passed' ? 0 : 1);
  });

  it('still refuses a named drill the backend cannot run', async () => {
    const res = await drillInOwnTmp(['run', 'deploy-rollback-docker', '--backend', 'local']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/deploy-rollback-docker does not run on the local backend/);
    expect(res.created).toEqual([]);
  });
});
