import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { join } from 'node:path';
import { loadSystem } from '../config/load.ts';
import { checklistCriterion } from '../drill/verdict.ts';
import { checklistView } from '../report/view.ts';
import type { ChecklistItem } from '../record/record.ts';
import {
  checklistEnv,
  checklistMonitoring,
  checklistOf,
  checkName,
  judgeCheck,
  NO_DECLARATION,
  parseChecklistOptions,
} from './checklist.ts';
import type { BlockRun } from './execute.ts';
import { parseRunbook } from './markdown.ts';

const DOC = [
  '# Runbook',
  '## Checks',
  '```bash id=check-one check=backup',
  '# The dump is young',
  'echo ok',
  '```',
  '```bash id=plain',
  'echo not a check',
  '```',
].join('\n');

const run = (over: Partial<BlockRun>): BlockRun => ({
  exitCode: 0,
  stdout: '',
  stderr: '',
  durationMs: 12.4,
  timedOut: false,
  ...over,
});

describe('check= blocks', () => {
  it('are parsed with their section; other blocks have none', () => {
    const doc = parseRunbook(DOC, 'rb.md');
    expect(doc.blocks.get('check-one')).toMatchObject({ check: 'backup', line: 3 });
    expect(doc.blocks.get('plain')?.check).toBeUndefined();
    expect(checkName(doc.blocks.get('check-one')!)).toBe('The dump is young');
  });

  it('an unknown section is refused, naming the line', () => {
    expect(() => parseRunbook('```bash id=x check=backups\necho\n```', 'rb.md')).toThrow(
      /rb\.md:1: block 'x' has check=backups; a checklist section is one of infrastructure, backup/,
    );
  });
});

describe('judgeCheck', () => {
  const block = { ...parseRunbook(DOC, 'rb.md').blocks.get('check-one')!, check: 'backup' as const };

  it('exit 0 passes, with the last line as the detail', () => {
    expect(judgeCheck(block, 'rb.md', run({ stdout: 'a\ndump 3 min old\n' }), '')).toMatchObject({
      section: 'backup',
      name: 'The dump is young',
      status: 'pass',
      detail: 'dump 3 min old',
      source: 'rb.md#L3',
      durationMs: 12,
    });
  });

  it('a last line "skip: why" skips with the reason', () => {
    expect(judgeCheck(block, 'rb.md', run({ stdout: 'skip: no Redis here' }), '')).toMatchObject({
      status: 'skip',
      reason: 'no Redis here',
    });
  });

  it('a failure has the last line of stderr as its reason, and the failing line when the trap saw one', () => {
    const item = judgeCheck(
      block,
      'rb.md',
      run({
        exitCode: 1,
        stderr: 'noise\nthe dump is 30 h old: take a fresh one before deploying\n',
        failedLine: 5,
      }),
      '',
    );
    expect(item).toMatchObject({
      status: 'fail',
      reason: 'the dump is 30 h old: take a fresh one before deploying',
      source: 'rb.md#L5',
    });
  });

  it('a timeout fails', () => {
    expect(judgeCheck(block, 'rb.md', run({ exitCode: null, timedOut: true }), '').status).toBe('fail');
  });
});

describe('parseChecklistOptions', () => {
  it('declares nothing when there is no section, and fills what a section leaves out', () => {
    expect(parseChecklistOptions(undefined, 'c.json')).toBe(NO_DECLARATION);
    expect(NO_DECLARATION).toMatchObject({ variables: [], secrets: [], gates: [], monitoring: {} });
    const o = parseChecklistOptions({ secrets: ['API_KEY'], limits: { minCertDays: 14 } }, 'c.json');
    expect(o.secrets).toEqual(['API_KEY']);
    expect(o.variables).toEqual([]);
    expect(o.limits).toMatchObject({ minCertDays: 14, minFreePct: 20, maxBackupAgeHours: 24 });
  });

  it('the demo’s declaration is the project’s config file (nothing in the harness names it)', () => {
    const system = loadSystem(join(import.meta.dirname, '..', '..'), {});
    const o = checklistOf(system);
    expect(o.secrets).toEqual(['PGPASSWORD', 'INFRA_TOKEN']);
    expect(o.gates.map((g) => g.name)).toEqual(["the application's migration unit tests"]);
    // Its gates run beside the file that declares them.
    expect(o.gatesDir).toBe(system.dir);
    expect(checklistOf(undefined)).toBe(NO_DECLARATION);
  });

  it.each([
    [{ secrets: ['1X'] }, 'c.json: checklist.secrets must be a list of environment variable names'],
    [{ gates: [{ name: 'a' }] }, 'c.json: checklist.gates[0].run must be a one-line command'],
    [{ limits: { minFreePct: -1 } }, 'c.json: checklist.limits.minFreePct must be a non-negative integer'],
    [{ limits: { foo: 1 } }, 'c.json: checklist.limits.foo is not a limit'],
    [
      { monitoring: { prometheusUrl: 'ftp://x' } },
      'c.json: checklist.monitoring.prometheusUrl must be an http(s) URL',
    ],
    [{ serviceName: 'a b' }, 'c.json: checklist.serviceName must be a host name'],
    [{ extra: 1 }, 'c.json: checklist.extra is not a field'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseChecklistOptions(raw, 'c.json')).toThrow(UsageError);
    expect(() => parseChecklistOptions(raw, 'c.json')).toThrow(message);
  });
});

describe('checklistMonitoring', () => {
  const estate = { prometheusUrl: 'http://127.0.0.1:1001', alertmanagerUrl: 'http://127.0.0.1:1002' };
  it('is the estate’s when the declaration names none, none without either', () => {
    expect(checklistMonitoring({}, estate)).toEqual(estate);
    expect(checklistMonitoring({}, undefined)).toEqual({});
  });
  it('the declaration’s URL wins, each on its own', () => {
    expect(checklistMonitoring({ prometheusUrl: 'http://prom.example:9090' }, estate)).toEqual({
      prometheusUrl: 'http://prom.example:9090',
      alertmanagerUrl: 'http://127.0.0.1:1002',
    });
    expect(checklistMonitoring({ alertmanagerUrl: 'http://am:9093' }, undefined)).toEqual({
      alertmanagerUrl: 'http://am:9093',
    });
  });
});

describe('checklistEnv', () => {
  it('passes names, limits and gates; values only of declared names the estate lacks; secrets to redact', () => {
    const opts = parseChecklistOptions(
      {
        variables: ['DB_HOST', 'REGION'],
        secrets: ['PGPASSWORD', 'API_KEY', 'ABSENT'],
        gates: [{ name: 'unit', run: 'npm test' }],
        monitoring: { alertmanagerUrl: 'http://127.0.0.1:9093/' },
      },
      'c.json',
    );
    const { env, secretValues } = checklistEnv(
      opts,
      { DB_HOST: 'db', PGPASSWORD: 'pw-estate' },
      { REGION: 'eu', API_KEY: 'k-123', DB_HOST: 'ignored' },
    );
    expect(env).toMatchObject({
      CHECK_VARIABLES: 'DB_HOST REGION',
      CHECK_SECRETS: 'PGPASSWORD API_KEY ABSENT',
      CHECK_GATES: 'unit\tnpm test',
      CHECK_MIN_FREE_PCT: '20',
      ALERTMANAGER_URL: 'http://127.0.0.1:9093',
      REGION: 'eu',
      API_KEY: 'k-123',
    });
    expect(env.DB_HOST).toBeUndefined();
    expect(env.ABSENT).toBeUndefined();
    expect(env.PROMETHEUS_URL).toBeUndefined();
    expect(secretValues).toEqual(['pw-estate', 'k-123']);
  });
});

describe('the checklist in the verdict and the view', () => {
  const item = (id: string, status: ChecklistItem['status'], reason?: string): ChecklistItem => ({
    section: 'backup',
    name: id,
    id,
    status,
    ...(reason ? { reason } : {}),
    detail: 'd',
    source: 'rb.md#L1',
    durationMs: 1,
  });
  const items = [
    item('a', 'pass'),
    item('b', 'fail', 'too old: take one before deploying'),
    item('c', 'skip', 'n/a'),
  ];

  it('fails on a failed item, naming it with its sentence; skips do not fail', () => {
    expect(checklistCriterion('"d"', items)).toMatchObject({
      passed: false,
      measured: '1 passed, 1 failed, 1 skipped',
      message: 'pre-deployment checklist failed for "d": backup/b: too old: take one before deploying',
    });
    expect(checklistCriterion('"d"', [items[0]!, items[2]!]).passed).toBe(true);
  });

  it('the view counts and summarises', () => {
    expect(checklistView(items)).toMatchObject({
      passed: 1,
      failed: 1,
      skipped: 1,
      summary: '1 passed, 1 failed (backup: b), 1 skipped',
    });
  });
});
