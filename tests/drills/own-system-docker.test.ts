/**
 * examples/inventory on the docker backend, through its own compose file: `drill images build` makes its release
 * images offline from its config, its drills run from that config alone (the file's `db` and `inventory`
 * services, drillbook's standby and router around them through a generated override), `drill init --compose`
 * gives a config that runs Q1 there after the edits its comments ask for, and a config naming a service the
 * file lacks stops before anything starts.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { drill, drillInOwnTmp } from '../cli.ts';
import {
  CONFIG,
  EXAMPLE,
  expectNothingLeft,
  initFromCompose,
  INVENTORY_DSN,
  logMeasured,
  runExample,
  skipWithoutCompose,
  walkthroughEdits,
} from './example.ts';

const skip = await skipWithoutCompose("the inventory example's docker drills");

describe.skipIf(skip)('drill your own system: examples/inventory on the docker backend', () => {
  it('drill images build makes the release images from the config (Debian python3-psycopg2 on the base)', async () => {
    const res = await drill(['images', 'build', '--config', CONFIG]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^(?:reused|built) +drillbook-example\/inventory:v1\b/m);
    expect(res.stdout).toMatch(/^(?:reused|built) +drillbook-example\/inventory:v2\b/m);
    // What a user would check: the image runs the service's Python with Debian's psycopg2, the release baked in.
    const out = execFileSync(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        'drillbook-example/inventory:v2',
        'python3',
        '-c',
        'import os, psycopg2; print(psycopg2.__version__.split()[0], os.environ["RELEASE"], os.environ["FAULTY"])',
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toMatch(/^2\.\d+\.\d+ v2 1$/);
  }, 900_000);

  it('runs q1-db-failover and q1-db-failover-sync through its compose file, measured, and leaves nothing', async () => {
    const run = await runExample(['q1-db-failover', 'q1-db-failover-sync'], 'docker');
    expect(run.res.stderr).toBe('');
    logMeasured(run, 'docker, under load');
    expect(run.summary.drills.map((d) => [d.id, d.status])).toEqual([
      ['q1-db-failover', 'passed'],
      ['q1-db-failover-sync', 'passed'],
    ]);
    expect(run.res.code).toBe(0);
    for (const d of run.summary.drills) {
      expect(d.measured.rtoMs).toBeGreaterThan(0);
      expect(d.measured.ackedWrites).toBeGreaterThan(0);
      const record = run.record(d.id);
      expect(record.estate?.backend).toBe('docker');
      expect(record.estate?.images?.app).toMatch(/^drillbook-example\/inventory:v1@sha256:/);
      // The app ran as the compose file's own service, from the merged project drillbook wrote.
      expect(
        record.timeline.some(
          (e) =>
            e.kind === 'note' && /app v1 .* as service inventory of .*compose\.run\.json/.test(e.message),
        ),
      ).toBe(true);
      expect(record.teardown.leaks).toEqual([]);
    }
    // The sync drill loses nothing acknowledged.
    expect(run.summary.drills[1]?.measured.lostAckedWrites).toBe(0);
    expectNothingLeft(run.summary.runId, 'docker');
  }, 900_000);

  it('drill init --compose, the edits its comments ask for, then Q1 on docker: exit 0', async () => {
    // The user's repository before the walkthrough: the example without its config.
    const { repo, path, init } = await initFromCompose();
    try {
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      const written = readFileSync(path, 'utf8');
      // What init found by itself: the roles, the image, the port, and the password the file requires.
      expect(written).toContain('services: { database: db, app: inventory }');
      expect(written).toContain("POSTGRES_PASSWORD: '{{dbPassword}}'");

      // The edits, each on a line marked EDIT (the README lists them).
      const doc = parseDocument(written);
      doc.setIn(['system', 'docker', 'env'], { INVENTORY_DSN, LISTEN_PORT: '{{port}}' });
      doc.setIn(['system', 'docker', 'build'], {
        packages: ['python3', 'python3-psycopg2'],
        copy: ['app.py', 'dbmigrate.py', 'migrations'],
        command: ['python3', 'app.py'],
      });
      walkthroughEdits(doc);
      writeFileSync(path, doc.toString());

      const build = await drill(['images', 'build', '--config', path]);
      expect(build.code).toBe(0);
      const run = await runExample(['q1-db-failover'], 'docker', path);
      expect(run.res.stderr).toBe('');
      expect(run.res.code).toBe(0);
      expect(run.summary.drills[0]?.status).toBe('passed');
      logMeasured(run, 'docker, from drill init, under load');
      expectNothingLeft(run.summary.runId, 'docker');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  }, 900_000);
});

describe('a compose service the file does not have, on docker: exit 2 naming the field, nothing started', () => {
  it('names system.docker.compose.services.database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-own-docker-'));
    try {
      cpSync(EXAMPLE, dir, { recursive: true });
      const path = join(dir, 'drillbook.config.yaml');
      const doc = parseDocument(readFileSync(path, 'utf8'));
      doc.setIn(['system', 'docker', 'compose', 'services', 'database'], 'postgres');
      writeFileSync(path, doc.toString());
      const res = await drillInOwnTmp(['run', 'q1-db-failover', '--backend', 'docker', '--config', path]);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(
        /^drill: .*drillbook\.config\.yaml: system\.docker\.compose\.services\.database: names service 'postgres', which docker-compose\.yml does not have \(has db, inventory\)\n$/,
      );
      expect(res.stdout).not.toMatch(/^report: /m);
      expect(res.created).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(skip)(
    'a variable the file requires and the config does not give names system.docker.compose.file',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'drill-own-docker-'));
      try {
        cpSync(EXAMPLE, dir, { recursive: true });
        const path = join(dir, 'drillbook.config.yaml');
        const doc = parseDocument(readFileSync(path, 'utf8'));
        doc.deleteIn(['system', 'docker', 'compose', 'env']);
        writeFileSync(path, doc.toString());
        const res = await drillInOwnTmp(['run', 'q1-db-failover', '--backend', 'docker', '--config', path], {
          POSTGRES_PASSWORD: '',
        });
        expect(res.code).toBe(2);
        expect(res.stderr).toMatch(
          /^drill: .*drillbook\.config\.yaml: system\.docker\.compose\.file: docker-compose config: .*set POSTGRES_PASSWORD.*system\.docker\.compose\.env\)\n$/,
        );
        expect(res.stdout).not.toMatch(/^report: /m);
        expect(res.created).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
