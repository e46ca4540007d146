/**
 * The layering rules of `npm run lint` (.dependency-cruiser.js) really fail: the checker runs, with the
 * project's own configuration, on small trees that break each rule, and on one that keeps them all.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.js');
const dirs: string[] = [];

/** A throwaway project laid out like this one: path → source. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'drill-layering-'));
  dirs.push(dir);
  const all: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', allowImportingTsExtensions: true, noEmit: true, strict: true },
    }),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Run the checker as `npm run lint:deps` does (without the baseline of known violations). */
async function cruise(dir: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [CLI, 'harness', 'scenarios', '--config', CONFIG, '--output-type', 'err'],
      { cwd: dir },
    );
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the layering rules in npm run lint', () => {
  it('report an import cycle and every forbidden import, naming the rule and the files', async () => {
    const dir = tree({
      // A cycle: two modules that import each other.
      'harness/core/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'harness/core/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
      // A report reaching into a backend and the runner.
      'harness/estate/local/postgres.ts': 'export const port = 5432;\n',
      'harness/drill/runner.ts': 'export const run = 1;\n',
      'harness/report/html.ts':
        "import { port } from '../estate/local/postgres.ts';\nimport { run } from '../drill/runner.ts';\nexport const h = port + run;\n",
      // Production code importing a test fixture.
      'tests/fixtures/sample-record.ts': 'export const sample = {};\n',
      'harness/report/junit.ts':
        "import { sample } from '../../tests/fixtures/sample-record.ts';\nexport const j = sample;\n",
      // A scenario importing a backend folder.
      'harness/estate/docker/engine.ts': 'export const engine = 1;\n',
      'scenarios/q1.ts':
        "import { engine } from '../harness/estate/docker/engine.ts';\nexport const q = engine;\n",
      // A measurement reaching for the clock, and a record reaching for the estate.
      'harness/core/clock.ts': 'export const now = () => 0;\n',
      'harness/measure/rto.ts': "import { now } from '../core/clock.ts';\nexport const rto = now;\n",
      'harness/estate/types.ts': 'export interface Estate { backend: string }\n',
      'harness/record/record.ts':
        "import type { Estate } from '../estate/types.ts';\nexport type R = { estate: Estate };\n",
    });
    const { code, out } = await cruise(dir);
    expect(code, out).not.toBe(0);
    expect(out).toMatch(
      /error no-circular: harness\/core\/a\.ts →\s+harness\/core\/b\.ts →\s+harness\/core\/a\.ts/,
    );
    expect(out).toContain(
      'error report-reads-the-record-only: harness/report/html.ts → harness/estate/local/postgres.ts',
    );
    expect(out).toContain(
      'error report-reads-the-record-only: harness/report/html.ts → harness/drill/runner.ts',
    );
    expect(out).toContain(
      'error scenarios-use-no-backend: scenarios/q1.ts → harness/estate/docker/engine.ts',
    );
    expect(out).toContain('error measure-is-pure: harness/measure/rto.ts → harness/core/clock.ts');
    expect(out).toContain('error record-is-a-leaf-model: harness/record/record.ts → harness/estate/types.ts');
    expect(out).toContain(
      'error production-never-imports-tests: harness/report/junit.ts → tests/fixtures/sample-record.ts',
    );
    expect(out).toMatch(/x 7 dependency violations \(7 errors, 0 warnings\)/);
  }, 60_000);

  it('accept the layering as intended: reports read the record, scenarios the estate interface', async () => {
    const dir = tree({
      'harness/measure/timeline.ts': 'export interface StepEvent { kind: "step" }\n',
      'harness/measure/rto.ts':
        "import type { StepEvent } from './timeline.ts';\nexport const rto = (e: StepEvent[]) => e.length;\n",
      'harness/record/record.ts':
        "import type { StepEvent } from '../measure/timeline.ts';\nexport type R = { steps: StepEvent[] };\n",
      'harness/report/html.ts':
        "import type { R } from '../record/record.ts';\nexport const h = (r: R) => r.steps;\n",
      'harness/estate/types.ts': 'export interface Estate { backend: string }\n',
      'scenarios/q1.ts':
        "import type { Estate } from '../harness/estate/types.ts';\nexport type Q = Estate;\n",
    });
    const { code, out } = await cruise(dir);
    expect(out).toMatch(/no dependency violations found/);
    expect(code, out).toBe(0);
  }, 60_000);
});
