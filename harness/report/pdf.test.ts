import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PrerequisiteError, UsageError } from '../core/errors.ts';
import { findChromium, requireChromium } from './pdf.ts';

const tmp = mkdtempSync(join(tmpdir(), 'drill-pdf-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('finding Chromium', () => {
  const fake = join(tmp, 'chromium-browser');
  writeFileSync(fake, '#!/bin/sh\n');
  chmodSync(fake, 0o755);

  it('prefers DRILL_CHROMIUM, then the fixed path, then PATH', () => {
    expect(findChromium({ DRILL_CHROMIUM: fake, PATH: '' }, [])).toBe(fake);
    expect(findChromium({ PATH: `/nonexistent:${tmp}` }, [])).toBe(fake);
    expect(findChromium({ PATH: '' }, [fake])).toBe(fake);
    expect(findChromium({ PATH: '/nonexistent' }, [])).toBeUndefined();
  });

  it('a DRILL_CHROMIUM that is not an executable is bad input (exit 2)', () => {
    const notExec = join(tmp, 'readme');
    writeFileSync(notExec, 'x');
    expect(() => findChromium({ DRILL_CHROMIUM: notExec }, [])).toThrow(UsageError);
    expect(() => findChromium({ DRILL_CHROMIUM: notExec }, [])).toThrow(
      /DRILL_CHROMIUM=.*readme is not an executable/,
    );
  });

  it('none at all is a missing prerequisite (exit 3) saying how to install one', () => {
    try {
      requireChromium({ PATH: '' }, []);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PrerequisiteError);
      expect((e as PrerequisiteError).exitCode).toBe(3);
      expect((e as Error).message).toMatch(/apt-get install chromium/);
      expect((e as Error).message).toMatch(/DRILL_CHROMIUM/);
    }
  });
});
