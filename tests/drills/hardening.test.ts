/**
 * The CLI as a careless or hostile user drives it: paths that cannot take the output, a malformed config, a
 * backend that runs only some of the drills. Each case is what a user would observe: the exit code, one line,
 * nothing started, or the evidence kept somewhere named.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, parseSigningKey } from '../../harness/report/signing.ts';
import { writeReports } from '../../harness/report/write.ts';
import { MANIFEST_FILE, manifestFile, parseManifest, renderManifest } from '../../harness/report/manifest.ts';
import { COMPLETE_EVIDENCE, sampleRun } from '../fixtures/sample-record.ts';
import { isAlive } from '../../harness/core/exec.ts';
import { poll } from '../../harness/core/poll.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { registryDir } from '../../harness/estate/host/registry.ts';
import { drill, drillInOwnTmp, readSummary, reportDirOf, ROOT } from '../cli.ts';

const work = mkdtempSync(join(tmpdir(), 'drill-hardening-'));
// The unprivileged database account must be able to reach run directories made under it.
chmodSync(work, 0o755);
const evidenceFile = join(work, 'evidence.json');
writeFileSync(evidenceFile, JSON.stringify(COMPLETE_EVIDENCE));
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
    const res = await drill(['run', '--backend', 'local', '--quarter', 'Q1', '--report-dir', reports]);
    expect(res.code, res.stderr).not.toBe(2);
    expect(res.stderr).toMatch(
      /left out: q1-db-failover-k8s does not run on the local backend \(it needs kubernetes; runs on kube\)/,
    );
    const summary = readSummary(reportDirOf(res.stdout));
    expect(summary.drills.map((d) => d.id).sort()).toEqual([
      'q1-db-failover',
      'q1-db-failover-lagging',
      'q1-db-failover-lagging-sync',
      'q1-db-failover-sync',
    ]);
    expect(res.code).toBe(summary.status === 'passed' ? 0 : 1);
  });

  it('still refuses a named drill the backend cannot run', async () => {
    const res = await drillInOwnTmp(['run', 'deploy-rollback-docker', '--backend', 'local']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/deploy-rollback-docker does not run on the local backend/);
    expect(res.created).toEqual([]);
  });
});

describe('drill verify, report and status trust only what the config trusts', () => {
  const pair = generateSigningKeyPair();
  const key = parseSigningKey(pair.privatePem, 'test key');
  const attacker = parseSigningKey(generateSigningKeyPair().privatePem, 'attacker');
  const pub = join(work, 'trusted.pub.pem');
  writeFileSync(pub, pair.publicPem);
  const config = join(work, 'trust.config.json');
  writeFileSync(config, JSON.stringify({ signing: { trustedPublicKey: 'trusted.pub.pem' } }));
  const reports = join(work, 'trust-reports');
  const { summary, records } = sampleRun();
  const dirs: Record<string, string> = {};
  beforeAll(async () => {
    const run = async (name: string, signingKey?: typeof key) =>
      (
        await writeReports(
          reports,
          { ...summary, runId: `20261127T12000${Object.keys(dirs).length}Z-${name}` },
          records,
          signingKey ? { signingKey } : {},
        )
      ).dir;
    dirs.good = await run('aaaaaa', key);
    dirs.resigned = await run('bbbbbb', attacker);
    dirs.stripped = await run('cccccc');
    dirs.extra = await run('dddddd', key);
    writeFileSync(join(dirs.extra, 'planted.html'), '<script>alert(1)</script>');
    dirs.linked = await run('eeeeee', key);
    symlinkSync('/etc/hostname', join(dirs.linked, 'hostname'));
  });
  const env = { DRILL_CONFIG: config };

  it('passes a run signed by the trusted key', async () => {
    const res = await drill(['verify', dirs.good ?? ''], { env });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/signed by the given key/);
  });

  it.each([
    ['re-signed with another key', 'resigned', /signed by key SHA256:.*not by the --public-key/],
    ['stripped of its signature', 'stripped', /unsigned, so it cannot be checked/],
    ['signed, with a file added', 'extra', /planted\.html: not covered by the manifest \(strict/],
    ['signed, with a symlink in it', 'linked', /hostname: a symbolic link \(not followed/],
  ])('fails a run %s when a trusted key is configured', async (_what, name, message) => {
    const res = await drill(['verify', dirs[name] ?? ''], { env });
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toMatch(message);
  });

  it('--require-signature fails an unsigned run without any key configured', async () => {
    const loose = await drill(['verify', dirs.stripped ?? '']);
    expect(loose.code).toBe(0);
    const strict = await drill(['verify', dirs.stripped ?? '', '--require-signature']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/unsigned, and a signature is required/);
  });

  it('status counts only runs that verify, and says which it did not count', async () => {
    const res = await drill(['status', '--report-dir', reports, '--json'], { env });
    const cal = JSON.parse(res.stdout) as {
      quarters: { drills: { drillId: string; lastPassed?: { runId: string } }[] }[];
    };
    const q1 = cal.quarters.flatMap((q) => q.drills).find((d) => d.drillId === 'q1-db-failover');
    expect(q1?.lastPassed?.runId).toMatch(/aaaaaa$/);
    for (const bad of ['bbbbbb', 'cccccc', 'dddddd', 'eeeeee'])
      expect(res.stderr).toMatch(new RegExp(`run \\S+${bad} not counted`));
  });

  it('report never reads a file outside the run directory', async () => {
    const dir = dirs.stripped ?? '';
    // An unsigned run can be rewritten consistently: point its summary at a file outside, and re-hash.
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
      drills: { reportFile: string }[];
    };
    for (const d of s.drills) d.reportFile = '../../../../etc/hostname';
    const text = `${JSON.stringify(s, null, 2)}\n`;
    writeFileSync(join(dir, 'summary.json'), text);
    const parsed = parseManifest(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.reason);
    const { selfSha256: _self, ...body } = parsed.manifest;
    body.files = body.files.map((f) => (f.path === 'summary.json' ? manifestFile(f.path, text) : f));
    writeFileSync(join(dir, MANIFEST_FILE), renderManifest(body));
    expect((await drill(['verify', dir])).code).toBe(0);
    const res = await drill(['report', dir, '--evidence', evidenceFile]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/\.\.\/etc\/hostname: not a file of this run's manifest/);
  });
});

/**
 * drill cleanup proves ownership. Every case names its own run id with --run, so nothing of another run on this
 * machine is ever in scope.
 */
describe('drill cleanup kills only what a run recorded starting', () => {
  const fakeRun = (n: number) => `20261129T00000${n}Z-${randomBytes(3).toString('hex')}`;

  it('leaves a process that merely carries a DRILL_RUN_ID label, and its children, alone', async () => {
    const id = fakeRun(1);
    const stranger = spawn('sh', ['-c', 'sleep 60 & sleep 60'], {
      env: { ...process.env, DRILL_RUN_ID: id },
      detached: true,
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const res = await drill(['cleanup', '--run', id]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`leave process ${stranger.pid} alone`));
      expect(isAlive(stranger.pid ?? 0)).toBe(true);
    } finally {
      process.kill(-(stranger.pid ?? 0), 'SIGKILL');
    }
  });

  it('never kills the shell that ran it, even when that shell carries the label', async () => {
    const id = fakeRun(2);
    const res = await new Promise<string>((resolve) => {
      const sh = spawn(
        'sh',
        ['-c', `node ${join(ROOT, 'bin', 'drill.js')} cleanup --run ${id}; echo survived`],
        {
          env: { ...process.env, DRILL_RUN_ID: id },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
      sh.on('close', () => resolve(out));
    });
    expect(res).toMatch(/survived/);
  });

  it('skips a marker or registry file with unexpected content, with one warning naming it', async () => {
    const tmp = mkdtempSync(join(work, 'bad-marker-'));
    const runDir = join(tmp, 'drillbook-20261129T000000Z-abcdef-x-123456');
    mkdirSync(runDir);
    writeFileSync(join(runDir, '.drillbook-run.json'), JSON.stringify({ runId: 5, harnessPid: 'me' }));
    const reg = join(registryDir(), `garbage-${randomBytes(3).toString('hex')}.jsonl`);
    mkdirSync(registryDir(), { recursive: true });
    writeFileSync(reg, '{"type":"owner","pid":"x"}\nnot json\n');
    try {
      const res = await drill(['cleanup', '--run', fakeRun(3)], { env: { TMPDIR: tmp } });
      expect(res.code).toBe(0);
      expect(res.stderr).toMatch(/\.drillbook-run\.json: skipped: runId:/);
      expect(res.stderr).toContain(`${reg}: `);
      expect(res.stderr).not.toMatch(/internal error|^ {4}at /m);
    } finally {
      rmSync(reg, { force: true });
    }
  });

  it('recognises a run in progress under another TMPDIR, and cleans it up once its harness is killed', async () => {
    const tmpA = mkdtempSync(join(work, 'tmp-a-'));
    const tmpB = mkdtempSync(join(work, 'tmp-b-'));
    chmodSync(tmpA, 0o755);
    let runId = '';
    let harness: ReturnType<typeof spawn> | undefined;
    const done = drill(['run', 'q1-db-failover', '--backend', 'local', '--report-dir', join(work, 'r-a')], {
      env: { TMPDIR: tmpA },
      onStdout: () => undefined,
      onSpawn: (child) => (harness = child),
    });
    // Wait until the harness has recorded an estate process, then freeze it (SIGSTOP): it is alive, its run is in
    // progress, and it cannot finish while cleanup looks at it (under load a drill can end within that time).
    await poll(
      () => {
        const d = readdirSync(tmpA).find((n) => n.startsWith('drillbook-'));
        if (d) runId = /^drillbook-(\d{8}T\d{6}Z-[0-9a-f]{6})-/.exec(d)?.[1] ?? '';
        const reg = readdirSync(registryDir()).find((n) => n.startsWith(`${harness?.pid}-`));
        return runId &&
          reg &&
          readFileSync(join(registryDir(), reg), 'utf8').includes('"process"') &&
          labelledProcesses(runId).length > 0
          ? true
          : undefined;
      },
      { subject: 'the run to start its estate', timeoutMs: 90_000, intervalMs: 50 },
    );
    harness?.kill('SIGSTOP');
    const during = await drill(['cleanup', '--run', runId], { env: { TMPDIR: tmpB } });
    expect(during.stdout).toMatch(/its run is still in progress/);
    expect(during.stdout).not.toMatch(/kill process/);
    // The harness dies without tearing down (SIGKILL): cleanup, from the other TMPDIR, finds and removes it all.
    harness?.kill('SIGKILL');
    await done;
    const after = await drill(['cleanup', '--run', runId], { env: { TMPDIR: tmpB } });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/kill process \d+/);
    expect(after.stdout).toMatch(new RegExp(`remove ${tmpA}/drillbook-${runId}`));
    expect(labelledProcesses(runId)).toEqual([]);
    expect(readdirSync(tmpA).filter((n) => n.startsWith('drillbook-'))).toEqual([]);
  });
});
