import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drillStatus, steps, type DrillRecord } from '../drill/record.ts';
import { renderMarkdown } from './markdown.ts';
import type { RunSummary } from './summary.ts';

/** Write every report format of a run into `<reportDir>/<runId>/`; returns that directory. */
export function writeReports(
  reportDir: string,
  summary: RunSummary,
  records: readonly DrillRecord[],
): string {
  const dir = join(reportDir, summary.runId);
  mkdirSync(dir, { recursive: true });
  for (const r of records) {
    // The full record, plus what readers would otherwise have to derive: the status and the steps.
    const file = { ...r, status: drillStatus(r), steps: steps(r) };
    writeFileSync(join(dir, `${r.drill.id}.json`), `${JSON.stringify(file, null, 2)}\n`);
  }
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), renderMarkdown(summary, records));
  return dir;
}
