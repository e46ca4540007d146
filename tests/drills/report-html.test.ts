/**
 * report.html from a real `drill run`, opened in headless Chromium the way an auditor's browser would: the
 * objectives table and the timeline picture are visible, nothing is fetched, nothing logs an error. Also the PDF
 * from `--pdf`, and re-issuing the draft with people's evidence (`drill report --evidence --pdf`).
 *
 * Needs a Chromium (apt-get install chromium, or DRILL_CHROMIUM). Outside CI a missing Chromium skips these
 * tests with the reason; in CI (CI set) it fails them.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium as pw } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_REMEDY, findChromium } from '../../harness/report/pdf.ts';
import type { Manifest } from '../../harness/report/manifest.ts';
import { drill, reportDirOf, tempReportDir } from '../cli.ts';

const chromium = findChromium(process.env);
const missing = `no Chromium found (DRILL_CHROMIUM, /usr/bin/chromium, chromium/chromium-browser/google-chrome on PATH): ${CHROMIUM_REMEDY}`;
if (!chromium && !process.env.CI) console.warn(`skipping the browser tests of report.html: ${missing}`);

// In CI a missing Chromium is not a reason to skip: the tests run, and fail saying what is missing.
describe.skipIf(!chromium && !process.env.CI)('report.html in headless Chromium', () => {
  let dir = '';
  beforeAll(async () => {
    if (!chromium) throw new Error(missing);
    const res = await drill(['run', 'q1-db-failover', '--pdf', '--report-dir', tempReportDir()]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(
      /^report: .*\/report\.html \(DRAFT: people still have to fill fields\) \(unsigned\)$/m,
    );
    expect(res.stdout).toMatch(/^report: .*\/report\.pdf$/m);
    dir = reportDirOf(res.stdout);
  });

  it('shows the objectives table and the timeline picture, fetches nothing and logs no error', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'drill-browser-test-'));
    const context = await pw.launchPersistentContext(profile, {
      executablePath: chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(join(dir, 'report.html')).href;
      await page.goto(url, { waitUntil: 'load' });

      const shot = join(mkdtempSync(join(tmpdir(), 'drill-report-shot-')), 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot of report.html: ${shot}`);
      expect(statSync(shot).size).toBeGreaterThan(50_000);

      await expect.poll(() => page.title()).toMatch(/^DRAFT DR drill report \S+: PASSED$/);
      const masthead = page.locator('header.masthead');
      expect(await masthead.isVisible()).toBe(true);
      expect(await masthead.innerText()).toMatch(/not production/);
      expect(await page.locator('.mast-verdict .badge-draft').isVisible()).toBe(true);

      const objectives = page.locator('table.criteria');
      expect(await objectives.isVisible()).toBe(true);
      const rtoRow = objectives.locator('tbody tr', { hasText: 'RTO' }).first();
      expect(await rtoRow.innerText()).toMatch(/rto\s+<= 30 min\s+[\d.]+ m?s \(±\d+ ms\)\s+PASS/);

      const svg = page.locator('svg.timeline').first();
      expect(await svg.isVisible()).toBe(true);
      const box = await svg.boundingBox();
      expect(box?.width).toBeGreaterThan(800);
      expect(box?.height).toBeGreaterThan(150);
      for (const label of ['fault injected (t_f)', 'recovered (t_r)', 'Probes (/ready)', 'Canary writes'])
        expect(await svg.locator('text', { hasText: label }).first().isVisible(), label).toBe(true);
      // Every probe is a mark with its outcome; the failed one during the outage is among them.
      const probeMarks = await svg.locator('rect > title').allTextContents();
      expect(probeMarks.filter((t) => t.startsWith('probe #')).length).toBeGreaterThan(20);
      expect(probeMarks.some((t) => /^probe #\d+ at t_f \+[\d.]+ m?s: FAILED/.test(t))).toBe(true);

      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await context.close();
    }
  });

  it('--pdf wrote a PDF of the report, listed in the manifest', () => {
    const pdf = readFileSync(join(dir, 'report.pdf'));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(50_000);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.files.map((f) => f.path)).toContain('report.pdf');
  });

  it('drill report --evidence re-issues the draft as revision 2 with a new PDF, and it still verifies', async () => {
    const before = readFileSync(join(dir, 'manifest.json'), 'utf8');
    const evidence = join(mkdtempSync(join(tmpdir(), 'drill-evidence-')), 'evidence.json');
    writeFileSync(
      evidence,
      JSON.stringify({
        participants: [{ name: 'Ada Lovelace', role: 'SRE on call' }],
        controller: 'Ada Lovelace',
        validator: 'Edsger Dijkstra',
        signOff: { name: 'Barbara Liskov', date: '2026-11-28' },
      }),
    );
    const res = await drill(['report', dir, '--evidence', evidence]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/report\.html \(revision 2, unsigned\)/);
    expect(res.stdout).toMatch(/report\.pdf/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/DRAFT/);
    expect(html).toContain('Edsger Dijkstra');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.revision).toBe(2);
    expect(manifest.previousManifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['evidence.json', 'report.pdf']),
    );
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).not.toBe(before);
    const verify = await drill(['verify', dir]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
