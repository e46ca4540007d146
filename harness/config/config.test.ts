import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { PROJECT_ROOT } from '../estate/host/project-root.ts';
import { CONFIG_DOC, formattedConfigDoc } from './docs.ts';
import { initConfig, mapCompose } from './init.ts';
import { findConfig, loadSystem, parseConfig } from './load.ts';
import { renderBody, renderEnv, resolveSystem } from './system.ts';

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('config file', () => {
  it('names the file, the field path and what was expected', () => {
    expect(message(() => parseConfig('health:\n  path: ready\n', 'drillbook.config.yaml'))).toBe(
      "drillbook.config.yaml: health.path: expected a path starting with '/'",
    );
    expect(
      message(() => parseConfig('objectives:\n  drills:\n    q1-db-failover: { rto: soon }\n', 'x.yaml')),
    ).toBe(
      "x.yaml: objectives.drills.q1-db-failover.rto: expected a duration like '500ms', '30s', '30m' or '1h'",
    );
    expect(message(() => parseConfig('{"docker": {"images": {"app": "drillbook/app:v1"}}}', 'c.json'))).toBe(
      'c.json: docker.images.app: expected a repository without a tag (releases are its tags)',
    );
    expect(
      message(() => parseConfig('system:\n  name: x\n  releases: {v1: {}}\n  colour: red\n', 'c.yaml')),
    ).toBe("c.yaml: system: unknown field 'colour'");
    expect(message(() => parseConfig('canary: { through: app, path: /w, body: {} }\n', 'c.yaml'))).toMatch(
      /^c\.yaml: canary\.readBack: expected string, received undefined$/,
    );
    expect(message(() => parseConfig('health:\n  version: { path: /health }\n', 'c.yaml'))).toBe(
      'c.yaml: health.version: expected a field or a header that names the release',
    );
    expect(message(() => parseConfig('health: [\n', 'c.yaml'))).toMatch(/^c\.yaml:\d+:\d+: not valid YAML/);
    expect(message(() => parseConfig('{', 'drillbook.config.json'))).toMatch(
      /^drillbook\.config\.json: not valid JSON/,
    );
  });

  it("keeps the earlier drillbook.config.json's keys", () => {
    const c = parseConfig('{"docker": {"images": {"postgres": "postgres:16"}}}', 'drillbook.config.json');
    expect(c.docker?.images?.postgres).toBe('postgres:16');
  });

  it('refuses two config files and a system that names a missing compose service', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-config-'));
    writeFileSync(join(dir, 'drillbook.config.yaml'), 'version: 1\n');
    writeFileSync(join(dir, 'drillbook.config.json'), '{}');
    expect(message(() => findConfig(dir, {}))).toMatch(/two config files; keep one/);
    const compose =
      'services:\n  db: { image: postgres:15 }\n  web: { image: me/web:1, ports: ["8000:8000"] }\n';
    writeFileSync(join(dir, 'compose.yml'), compose);
    const config = parseConfig(
      `system:\n  name: s\n  releases: { v1: {} }\n  docker:\n    image: me/web\n    compose: { file: compose.yml, services: { database: db, app: api } }\n`,
      'drillbook.config.yaml',
    );
    expect(message(() => resolveSystem(config, { display: 'drillbook.config.yaml', dir }))).toBe(
      "drillbook.config.yaml: system.docker.compose.services.app: names service 'api', which compose.yml does not have (has db, web)",
    );
  });

  it('maps a block id the runbook lacks to the config field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-config-'));
    writeFileSync(join(dir, 'RUNBOOK.md'), '# R\n\n```bash id=promote\necho hi\n```\n');
    const config = parseConfig(
      'system:\n  name: s\n  releases: { v1: {} }\nrunbook:\n  file: RUNBOOK.md\n  blocks: { failover-promote: promote, failover-fence: stonith }\n',
      'c.yaml',
    );
    expect(message(() => resolveSystem(config, { display: 'c.yaml', dir }))).toMatch(
      /^c\.yaml: runbook\.blocks\.failover-fence: names block id=stonith, which .*RUNBOOK\.md does not have \(has promote\)$/,
    );
  });

  it("loads the project's own config: the demo app is a system like any other", () => {
    const s = loadSystem(PROJECT_ROOT, {});
    expect(s.name).toBe('order-service');
    expect(s.health.path).toBe('/ready');
    expect(s.health.version).toEqual({ path: '/health', field: 'version', header: 'X-App-Version' });
    expect(s.runbook?.blocks.has('failover-promote')).toBe(true);
  });

  it('fills templates', () => {
    const values = {
      databaseUrl: 'postgres://u:p@h:1/d',
      port: 8000,
      version: 'v1',
      dbHost: 'h',
      dbPort: 1,
      dbUser: 'u',
      dbPassword: 'p',
      dbName: 'd',
    };
    expect(renderEnv({ A: '{{databaseUrl}}', B: 'x{{port}}', R: '{{redisUrl}}' }, values)).toEqual({
      A: 'postgres://u:p@h:1/d',
      B: 'x8000',
    });
    expect(renderBody({ seq: '{{seq}}', run: 'r-{{runId}}', n: [1, '{{seq}}'] }, 7, 'abc')).toEqual({
      seq: 7,
      run: 'r-abc',
      n: [1, 7],
    });
  });
});

describe('drill init', () => {
  it('maps compose services to roles by image and writes a valid config', () => {
    const compose = readFileSync(join(PROJECT_ROOT, 'fixtures/compose/docker-compose.yml'), 'utf8');
    const m = mapCompose(compose, 'docker-compose.yml');
    expect(m).toMatchObject({
      database: 'postgres',
      cache: 'redis',
      app: 'backend',
      appImage: 'drillbook/app',
      appPort: 3000,
    });
    const text = initConfig({ compose: { file: 'docker-compose.yml', text: compose } });
    expect(text).toMatch(/^# /);
    const c = parseConfig(text, 'drillbook.config.yaml');
    expect(c.system?.docker?.compose?.services).toEqual({
      database: 'postgres',
      cache: 'redis',
      app: 'backend',
    });
    expect(parseConfig(initConfig({}), 'drillbook.config.yaml').system?.name).toBe('my-service');
  });
});

describe('docs/config.md', () => {
  it('is generated from the schema (run `npx tsx harness/config/docs.ts` when this fails)', async () => {
    expect(readFileSync(CONFIG_DOC, 'utf8')).toBe(await formattedConfigDoc());
  });
});
