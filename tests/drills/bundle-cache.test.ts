import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli.ts';

const DRILL = join(ROOT, 'bin', 'drill.js');
const list = (env: NodeJS.ProcessEnv = {}) =>
  execFileSync(process.execPath, [DRILL, 'list', '--json'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
const manifestFile = join(
  ROOT,
  'node_modules',
  '.cache',
  'drillbook',
  `${createHash('sha256').update(join(ROOT, 'harness/cli/main.ts')).digest('hex').slice(0, 16)}.json`,
);
const manifest = () =>
  JSON.parse(readFileSync(manifestFile, 'utf8')) as { out: string; inputs: Record<string, string> };

describe('the CLI from its cached bundle', () => {
  it('answers as it does through tsx (scenarios, runbook files found relative to their modules)', () => {
    const bundled = list();
    expect(JSON.parse(bundled)).not.toHaveLength(0);
    expect(bundled).toBe(list({ DRILL_NO_BUNDLE: '1' }));
    const inputs = Object.keys(manifest().inputs);
    expect(inputs).toContain('harness/cli/main.ts');
    expect(inputs).toContain('scenarios/shared.ts');
  });

  it('is rebuilt when a source it was built from is not as it was', () => {
    list();
    const before = manifest();
    // As if harness/cli/main.ts had been edited since the bundle was built.
    writeFileSync(
      manifestFile,
      JSON.stringify({ ...before, inputs: { ...before.inputs, 'harness/cli/main.ts': '0:0' } }),
    );
    list();
    const after = manifest();
    expect(after.out).not.toBe(before.out);
    expect(after.inputs['harness/cli/main.ts']).not.toBe('0:0');
    list();
    expect(manifest().out).toBe(after.out);
  });
});
