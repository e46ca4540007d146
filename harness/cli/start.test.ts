import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../estate/host/project-root.ts';

// The heavy packages a command loads only when it needs them: the container engine's client (~0.4 s of CPU to
// load), the kube client, the PDF browser. A static import that reaches one of them from the CLI's entry (a
// constant moved next to a class that needs testcontainers, say) makes every command and every local drill pay.
const LAZY = /\/node_modules\/(?:testcontainers|@kubernetes\/client-node|playwright(?:-core)?)\//;

const dir = mkdtempSync(join(tmpdir(), 'drill-start-test-'));
const log = join(dir, 'loaded.txt');
writeFileSync(
  join(dir, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`,
);
writeFileSync(
  join(dir, 'register.mjs'),
  `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The module URLs the CLI resolved while running `argv`. */
function loadedBy(argv: string[]): { status: number | null; urls: string[] } {
  rmSync(log, { force: true });
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), 'bin/drill.js', ...argv], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  let urls: string[] = [];
  try {
    urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } catch {
    // nothing resolved through the hooks
  }
  return { status: r.status, urls };
}

describe('the CLI start', () => {
  it('loads no engine client, kube client or browser for commands that need none', () => {
    for (const argv of [['list'], ['run', 'no-such-drill', '--backend', 'local']]) {
      const { urls } = loadedBy(argv);
      // The hooks saw the CLI load (its bundle or its sources), so an empty list cannot pass by accident.
      expect(urls.some((u) => u.includes('/harness/') || u.includes('/.cache/drillbook/'))).toBe(true);
      expect(urls.filter((u) => LAZY.test(u))).toEqual([]);
    }
  });
});
