import type { EvidenceInput } from '../evidence.ts';
import type { ManifestFile } from '../manifest.ts';

/** What the HTML report shows besides the records: people's input, the evidence written so far, signing. */
export interface HtmlContext {
  evidence?: EvidenceInput;
  /** Artifacts written before report.html, with their hashes (report.html cannot carry its own). */
  artifacts: readonly ManifestFile[];
  events?: { lines: number; head: string };
  signing: { signed: true; fingerprint: string } | { signed: false };
  /** 1 when `drill run` wrote it; higher when re-issued by `drill report --evidence`. */
  revision: number;
  generatedAt: string;
  drillbookVersion: string;
}
