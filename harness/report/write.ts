import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, DrillError, UsageError } from '../core/errors.ts';
import { drillStatus, steps, type DrillRecord } from '../record/record.ts';
import { buildEventLog, sha256Hex } from './chain.ts';
import { missingEvidence, parseEvidence, type EvidenceInput } from './evidence.ts';
import { z } from 'zod';
import { appendHistory, historyEntries } from './history.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import {
  MANIFEST_FILE,
  manifestFile,
  parseManifest,
  renderManifest,
  UNSIGNED_NOTE,
  type Manifest,
  type ManifestFile,
} from './manifest.ts';
import { renderMarkdown } from './markdown.ts';
import { renderPdf } from './pdf.ts';
import { renderSignature, signManifest, SIGNATURE_FILE, type SigningKey } from './signing.ts';
import { renderStepSummary } from './step-summary.ts';
import type { RunSummary } from './summary.ts';
import { isPlainName, verifyRunDir } from './verify.ts';
import type { KeyObject } from 'node:crypto';
import { DRILLBOOK_VERSION } from './version.ts';

/** What a run's reports need besides the records: people's evidence, a signing key, a Chromium for the PDF. */
export interface ReportInputs {
  evidence?: EvidenceInput;
  signingKey?: SigningKey;
  /** Render report.pdf with this Chromium binary. */
  chromium?: string;
  /** For $GITHUB_STEP_SUMMARY. */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export interface WrittenReports {
  dir: string;
  signed: boolean;
  draft: boolean;
  /** Set when report.pdf was asked for and could not be rendered (every other artifact was written). */
  pdfError?: string;
  warnings: string[];
}

/**
 * Write every report format of a run into `<reportDir>/<runId>/`, then the manifest over all of them and its
 * signature, then append the run to `<reportDir>/history.jsonl` and, in GitHub Actions, the job summary.
 * Every format is a pure function of (summary, records, evidence); this is the only place that writes them.
 */
export async function writeReports(
  reportDir: string,
  summary: RunSummary,
  records: readonly DrillRecord[],
  inputs: ReportInputs = {},
): Promise<WrittenReports> {
  const dir = join(reportDir, summary.runId);
  mkdirSync(dir, { recursive: true });
  const files: ManifestFile[] = [];
  const put = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    files.push(manifestFile(name, text));
  };
  for (const r of records) {
    // The full record, plus what readers would otherwise have to derive: the status and the steps.
    const file = { ...r, status: drillStatus(r), steps: steps(r) };
    put(`${r.drill.id}.json`, `${JSON.stringify(file, null, 2)}\n`);
  }
  put('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  if (inputs.evidence) put('evidence.json', `${JSON.stringify(inputs.evidence, null, 2)}\n`);
  put('report.md', renderMarkdown(summary, records, inputs.evidence));
  put('junit.xml', renderJunit(summary, records));
  const log = buildEventLog(summary, records);
  put('events.jsonl', log.text);
  const issued = await issue(dir, {
    summary,
    records,
    files,
    events: { lines: log.lines, head: log.head },
    revision: 1,
    html: true,
    ...inputs,
  });

  const warnings: string[] = [];
  try {
    appendHistory(reportDir, historyEntries(summary, summary.runId));
  } catch (e) {
    warnings.push(`history not updated: ${describe(e)}`);
  }
  const stepSummary = inputs.env?.GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    try {
      appendFileSync(
        stepSummary,
        renderStepSummary(summary, { runDir: dir, signed: issued.signed, draft: issued.draft }),
      );
    } catch (e) {
      warnings.push(`GITHUB_STEP_SUMMARY not written: ${describe(e)}`);
    }
  }
  return { dir, ...issued, warnings };
}

interface IssueOptions extends ReportInputs {
  summary: RunSummary;
  records: readonly DrillRecord[];
  /** Artifacts already in the directory (without report.html and report.pdf), with their hashes. */
  files: ManifestFile[];
  events: { lines: number; head: string };
  revision: number;
  /** Render report.html (false: keep the one there, e.g. when only adding a PDF). */
  html: boolean;
  previousManifestSha256?: string;
}

/** report.html, report.pdf, manifest.json and signature.json: the part of writing shared with re-issuing. */
async function issue(
  dir: string,
  o: IssueOptions,
): Promise<{ signed: boolean; draft: boolean; pdfError?: string }> {
  const now = (o.now ?? (() => new Date()))();
  const previousPdf = o.files.find((f) => f.path === 'report.pdf');
  const files = o.files.filter((f) => f.path !== 'report.html' && f.path !== 'report.pdf');
  const htmlPath = join(dir, 'report.html');
  const draft = missingEvidence(o.evidence, o.summary.status === 'passed').length > 0;
  if (o.html) {
    const html = renderHtml(o.summary, o.records, {
      ...(o.evidence ? { evidence: o.evidence } : {}),
      artifacts: files,
      events: o.events,
      signing: o.signingKey ? { signed: true, fingerprint: o.signingKey.fingerprint } : { signed: false },
      revision: o.revision,
      generatedAt: now.toISOString(),
      drillbookVersion: DRILLBOOK_VERSION,
    });
    writeFileSync(htmlPath, html);
  }
  files.push(manifestFile('report.html', readFileSync(htmlPath)));
  let pdfError: string | undefined;
  const pdfPath = join(dir, 'report.pdf');
  if (o.chromium) {
    try {
      await renderPdf(htmlPath, pdfPath, o.chromium, `drillbook report ${o.summary.runId}.r${o.revision}`);
      files.push(manifestFile('report.pdf', readFileSync(pdfPath)));
    } catch (e) {
      pdfError = describe(e);
      // A half-written or stale PDF must not sit next to evidence it no longer matches.
      rmSync(pdfPath, { force: true });
    }
  } else if (o.html) rmSync(pdfPath, { force: true });
  else if (previousPdf) files.push(previousPdf);

  const body: Omit<Manifest, 'selfSha256'> = {
    schemaVersion: 1,
    kind: 'drillbook-evidence-manifest',
    runId: o.summary.runId,
    revision: o.revision,
    createdAt: now.toISOString(),
    drillbookVersion: DRILLBOOK_VERSION,
    hashAlgorithm: 'sha256',
    files,
    events: { path: 'events.jsonl', ...o.events },
    signing: o.signingKey
      ? {
          signed: true,
          algorithm: 'ed25519',
          publicKeyFingerprint: o.signingKey.fingerprint,
          signatureFile: SIGNATURE_FILE,
        }
      : { signed: false, note: UNSIGNED_NOTE },
    ...(o.previousManifestSha256 ? { previousManifestSha256: o.previousManifestSha256 } : {}),
  };
  const manifest = renderManifest(body);
  writeFileSync(join(dir, MANIFEST_FILE), manifest);
  if (o.signingKey)
    writeFileSync(join(dir, SIGNATURE_FILE), renderSignature(signManifest(manifest, o.signingKey)));
  else rmSync(join(dir, SIGNATURE_FILE), { force: true });
  return { signed: Boolean(o.signingKey), draft, ...(pdfError ? { pdfError } : {}) };
}

export interface ReissueResult {
  revision: number;
  signed: boolean;
  draft: boolean;
  pdf: boolean;
  pdfError?: string;
}

/**
 * Re-issue a run's report in place: add people's evidence (a new revision of report.html and report.md) and/or
 * a PDF, then a new manifest that names the one it replaces. The run directory must verify first: nothing is
 * built on altered evidence. A signed run can only be re-issued with a signing key.
 */
export async function reissueReport(
  dir: string,
  inputs: {
    evidence?: EvidenceInput;
    signingKey?: SigningKey;
    chromium?: string;
    now?: () => Date;
    /** The trusted key and whether a signature is required (drillbook.config.json's `signing`). */
    trust?: { trusted?: KeyObject; requireSignature?: boolean };
  },
): Promise<ReissueResult> {
  const requireSignature = inputs.trust?.requireSignature ?? false;
  const check = verifyRunDir(dir, inputs.trust?.trusted, { requireSignature, strict: requireSignature });
  if (check.problems.length > 0 || !check.manifest)
    throw new VerificationFailed(
      dir,
      check.problems.map((p) => p.message),
    );
  const prev = check.manifest;
  if (prev.signing.signed && !inputs.signingKey)
    throw new UsageError(
      `report: ${dir} is signed (${prev.signing.publicKeyFingerprint}); re-issuing it needs the signing key (--signing-key FILE, DRILL_SIGNING_KEY_FILE or DRILL_SIGNING_KEY)`,
    );
  const prevText = readFileSync(join(dir, MANIFEST_FILE), 'utf8');
  if (!parseManifest(prevText).ok)
    throw new VerificationFailed(dir, ['manifest.json changed while re-issuing']);
  // Only files the verified manifest lists, by plain name: nothing outside the run directory is ever read.
  const covered = new Set(prev.files.map((f) => f.path));
  const inside = (name: unknown): string => {
    if (!isPlainName(name) || !covered.has(name))
      throw new VerificationFailed(dir, [`${String(name)}: not a file of this run's manifest`]);
    return join(dir, name);
  };
  const summary = readBack(inside('summary.json'), SummaryShape) as RunSummary;
  const records = summary.drills.map((d) => readBack(inside(d.reportFile), RecordShape) as DrillRecord);
  let evidence = inputs.evidence;
  const files = prev.files.map((f) => ({ ...f }));
  const replace = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    const entry = manifestFile(name, text);
    const i = files.findIndex((f) => f.path === name);
    if (i >= 0) files[i] = entry;
    else files.push(entry);
  };
  if (evidence) {
    replace('evidence.json', `${JSON.stringify(evidence, null, 2)}\n`);
    replace('report.md', renderMarkdown(summary, records, evidence));
  } else if (files.some((f) => f.path === 'evidence.json')) {
    evidence = parseEvidence(readFileSync(inside('evidence.json'), 'utf8'), join(dir, 'evidence.json'));
  }
  const revision = inputs.evidence ? prev.revision + 1 : prev.revision;
  const issued = await issue(dir, {
    summary,
    records,
    files,
    events: { lines: prev.events.lines, head: prev.events.head },
    revision,
    html: Boolean(inputs.evidence),
    previousManifestSha256: sha256Hex(prevText),
    ...(evidence ? { evidence } : {}),
    ...(inputs.signingKey ? { signingKey: inputs.signingKey } : {}),
    ...(inputs.chromium ? { chromium: inputs.chromium } : {}),
    ...(inputs.now ? { now: inputs.now } : {}),
  });
  return { revision, ...issued, pdf: Boolean(inputs.chromium) && !issued.pdfError };
}

/** The run directory does not verify: exit 1, naming what is wrong. */
export class VerificationFailed extends DrillError {
  readonly exitCode = 1;
  constructor(
    readonly dir: string,
    readonly problems: string[],
  ) {
    super(`${dir} does not verify: ${problems.join('; ')}`);
  }
}

/**
 * What re-issuing reads back of summary.json and each drill's record: the fields it walks, checked (the rest is
 * rendered as it is, from files the manifest just verified). Bad content is exit 1 naming the file, no crash.
 */
const SummaryShape = z.looseObject({
  runId: z.string(),
  status: z.enum(['passed', 'failed', 'error']),
  drills: z.array(z.looseObject({ id: z.string(), reportFile: z.string(), messages: z.array(z.string()) })),
});
const RecordShape = z.looseObject({
  drill: z.looseObject({ id: z.string(), title: z.string() }),
  runId: z.string(),
  timeline: z.array(z.looseObject({ kind: z.string(), t: z.number() })),
  criteria: z.array(z.looseObject({ name: z.string(), passed: z.boolean() })),
});

function readBack(file: string, schema: z.ZodType): unknown {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new VerificationFailed(file, ['not valid JSON']);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new VerificationFailed(file, [
      `${issue?.path.join('.') || 'content'}: ${issue?.message ?? 'invalid'}`,
    ]);
  }
  return json;
}
