import { accessSync, constants, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PrerequisiteError, UsageError } from '../core/errors.ts';

/** Flags for a headless Chromium that renders a local file and talks to nobody. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
export const CHROMIUM_REMEDY =
  "install it with 'apt-get install chromium' (Debian/Ubuntu), or point DRILL_CHROMIUM at a Chromium or Chrome binary";

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The system Chromium: DRILL_CHROMIUM, else /usr/bin/chromium, else chromium, chromium-browser or google-chrome
 * on PATH. Undefined when there is none. DRILL_CHROMIUM naming something that is not an executable is a
 * UsageError (the user asked for that one).
 */
export function findChromium(
  env: NodeJS.ProcessEnv,
  fixed: readonly string[] = ['/usr/bin/chromium'],
): string | undefined {
  const explicit = env.DRILL_CHROMIUM;
  if (explicit) {
    if (!executable(explicit)) throw new UsageError(`DRILL_CHROMIUM=${explicit} is not an executable file`);
    return explicit;
  }
  for (const p of fixed) if (executable(p)) return p;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean))
    for (const name of NAMES) if (executable(join(dir, name))) return join(dir, name);
  return undefined;
}

/** The Chromium to render PDFs with, or a PrerequisiteError (exit 3) saying how to get one. */
export function requireChromium(env: NodeJS.ProcessEnv, fixed?: readonly string[]): string {
  const found = findChromium(env, fixed);
  if (!found)
    throw new PrerequisiteError(
      'Chromium for PDF rendering (looked at DRILL_CHROMIUM, /usr/bin/chromium, and chromium, chromium-browser, google-chrome on PATH)',
      CHROMIUM_REMEDY,
    );
  return found;
}

/**
 * Render a self-contained HTML file to PDF (A4, backgrounds, page numbers) through headless Chromium with a
 * fresh, throw-away profile. Every request other than the file itself is refused.
 */
export async function renderPdf(
  htmlFile: string,
  pdfFile: string,
  chromium: string,
  footerText: string,
): Promise<void> {
  if (!existsSync(htmlFile)) throw new UsageError(`report: ${htmlFile} does not exist`);
  const { chromium: pw } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'drill-chromium-'));
  try {
    const context = await pw.launchPersistentContext(profile, {
      executablePath: chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      offline: true,
      timeout: 30_000,
    });
    try {
      const page = await context.newPage();
      const url = pathToFileURL(htmlFile).href;
      await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
      await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      await page.emulateMedia({ media: 'print' });
      await page.pdf({
        path: pdfFile,
        format: 'A4',
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate: `<div style="font-size:8px;width:100%;padding:0 12mm;color:#5f6b7a;display:flex;justify-content:space-between;font-family:Arial,sans-serif"><span>${footerText.replace(/[<>&"]/g, '')}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`,
      });
    } finally {
      await context.close();
    }
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
