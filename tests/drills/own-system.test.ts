/**
 * A system drillbook was never tuned for (examples/inventory: Python, its own schema, migration tool, compose
 * file and runbook), drilled from its config alone, following its README's walkthrough step by step; and the
 * config mistakes a user makes, each stopped before the fault with one line naming the config field.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { drillInOwnTmp } from '../cli.ts';
import {
  exampleWith,
  expectNothingLeft,
  expectStoppedBefore,
  initFromCompose,
  INVENTORY_DSN,
  logMeasured,
  runExample,
  skipWithoutPython,
  walkthroughEdits,
} from './example.ts';

const missing = skipWithoutPython("the inventory example's drills") ? 'python3-psycopg2' : undefined;

describe.skipIf(missing !== undefined)(
  'drill your own system: examples/inventory on the local backend',
  () => {
    it('follows the walkthrough: init from the compose file, the edits its comments ask for, a passing Q1', async () => {
      // Step 2: drill init --compose, in the user's repository.
      const { path, init } = await initFromCompose();
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      expect(init.stdout).toMatch(/^wrote drillbook\.config\.yaml from docker-compose\.yml/);
      const written = readFileSync(path, 'utf8');
      expect(written).toMatch(/^# /m);
      expect(written).toContain('services: { database: db, app: inventory }');
      expect(written).toContain('image: drillbook-example/inventory');
      expect(written).toContain('port: 8000');

      // Step 3: the edits the README lists (each on a line marked EDIT in the written file).
      const doc = parseDocument(written);
      doc.setIn(['system', 'local', 'command'], ['/usr/bin/python3', 'app.py']);
      doc.setIn(['system', 'local', 'env'], { INVENTORY_DSN, LISTEN_PORT: '{{port}}' });
      doc.setIn(['system', 'tools'], ['.']);
      walkthroughEdits(doc);
      writeFileSync(path, doc.toString());

      // Step 4: the drill, from that config alone.
      const run = await runExample(['q1-db-failover'], 'local', path);
      expect(run.res.stderr).toBe('');
      expect(run.res.code).toBe(0);
      const d = run.summary.drills[0];
      expect(d?.status).toBe('passed');
      expect(d?.measured.rtoMs).toBeGreaterThan(0);
      expect(d?.measured.ackedWrites).toBeGreaterThan(0);
      // The config's objective (Q1: 30 min), not the scenario's.
      expect(d?.objectives.rtoMs).toBe(30 * 60_000);
      const record = run.record('q1-db-failover');
      expect(record.runbook?.path).toMatch(/RUNBOOK\.md$/);
      expect(record.settings.probePath).toBe('/healthz');
      expect(record.objectiveSources.rto).toBe('config');
      logMeasured(run, 'local, under load');
      expectNothingLeft(run.summary.runId, 'local');
    });

    it('a canary read-back that fails stops the drill before the fault, naming canary.readBack, and tears down', async () => {
      const path = exampleWith((doc) =>
        doc.setIn(['canary', 'readBack'], 'SELECT seq FROM no_such_table WHERE run = $1'),
      );
      const run = await runExample(['q1-db-failover'], 'local', path);
      expect(run.res.stdout).toMatch(/canary\.readBack failed on postgres-primary: .*no_such_table/);
      expectStoppedBefore(run, 'q1-db-failover', 'steady', 'local');
    });

    it('a health path that never answers stops the drill in provision, naming health.path, and tears down', async () => {
      const path = exampleWith((doc) => doc.setIn(['health', 'path'], '/no-such-health'));
      const run = await runExample(['q1-db-failover'], 'local', path);
      expect(run.res.stdout).toMatch(
        /\/no-such-health \(health\.path in .*drillbook\.config\.yaml\): last error: answered 404, not 200/,
      );
      expectStoppedBefore(run, 'q1-db-failover', 'provision', 'local');
    }, 180_000);
  },
);

describe('config mistakes stop everything before it starts (exit 2, one line naming the field)', () => {
  const cases: [string, string, RegExp][] = [
    [
      'a compose service that does not exist',
      exampleWith((doc) => doc.setIn(['system', 'docker', 'compose', 'services', 'app'], 'web')),
      /^drill: .*drillbook\.config\.yaml: system\.docker\.compose\.services\.app: names service 'web', which docker-compose\.yml does not have \(has db, inventory\)\n$/,
    ],
    [
      'a block id missing from the runbook',
      exampleWith((doc) => doc.setIn(['runbook', 'blocks', 'failover-promote'], 'promote-the-replica')),
      /^drill: .*drillbook\.config\.yaml: runbook\.blocks\.failover-promote: names block id=promote-the-replica, which .*RUNBOOK\.md does not have \(has .*\)\n$/,
    ],
    [
      'a drill step the runbook has no block for',
      exampleWith((doc) => doc.deleteIn(['runbook', 'blocks', 'failover-fence'])),
      /^drill: .*drillbook\.config\.yaml: runbook: drill q1-db-failover needs block id=failover-fence, which .*RUNBOOK\.md does not have; name yours in runbook\.blocks \(failover-fence: <your block id>\)\n$/,
    ],
    [
      'a malformed field',
      exampleWith((doc) => doc.setIn(['objectives', 'rto'], 'four hours')),
      /^drill: .*drillbook\.config\.yaml: objectives\.rto: expected a duration like '500ms', '30s', '30m' or '1h'\n$/,
    ],
  ];
  for (const [what, path, line] of cases) {
    it(what, async () => {
      const res = await drillInOwnTmp(['run', 'q1-db-failover', '--backend', 'local', '--config', path]);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(line);
      expect(res.created).toEqual([]);
    });
  }
});
