import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDuration } from '../core/duration.ts';
import { describe, UsageError } from '../core/errors.ts';
import { loadEvidence, type EvidenceInput } from '../report/evidence.ts';
import {
  drillCalendar,
  readHistory,
  renderCalendar,
  HISTORY_FILE,
  type HistoryEntry,
} from '../report/history.ts';
import { requireChromium } from '../report/pdf.ts';
import {
  generateSigningKeyPair,
  loadSigningKey,
  parsePublicKey,
  type SigningKey,
} from '../report/signing.ts';
import { readSigningConfig, type SigningConfig } from '../report/signing-config.ts';
import { isPlainName, verifyRunDir } from '../report/verify.ts';
import { reissueReport, type ReportInputs } from '../report/write.ts';
import { loadScenarios } from '../../scenarios/index.ts';
import { parse } from '../core/args.ts';
import type { Io } from './io.ts';

/** Options `drill run` shares with `drill report`: what the reports need besides the records. */
export const REPORT_OPTIONS = {
  pdf: { type: 'boolean', default: false },
  evidence: { type: 'string' },
  'signing-key': { type: 'string' },
} as const;

/**
 * Everything the reports need, loaded and validated before a drill starts: the evidence file (or
 * DRILL_EVIDENCE_FILE), the signing key, and with --pdf a Chromium. A bad file is exit 2 and a missing Chromium
 * exit 3, and nothing has been started.
 */
export function prepareReportInputs(
  values: { pdf?: boolean; evidence?: string; 'signing-key'?: string },
  env: NodeJS.ProcessEnv,
): ReportInputs {
  const evidenceFile = values.evidence ?? (env.DRILL_EVIDENCE_FILE || undefined);
  const evidence: EvidenceInput | undefined = evidenceFile ? loadEvidence(evidenceFile) : undefined;
  const signingKey: SigningKey | undefined = loadSigningKey({
    ...(values['signing-key'] !== undefined ? { file: values['signing-key'] } : {}),
    env,
  });
  const chromium = values.pdf ? requireChromium(env) : undefined;
  return {
    ...(evidence ? { evidence } : {}),
    ...(signingKey ? { signingKey } : {}),
    ...(chromium ? { chromium } : {}),
    env,
  };
}

/**
 * `drill verify <run-dir> [--public-key FILE] [--json]`: 0 when every artifact, the event chain and the
 * signature are intact; 1 naming what was altered or is missing; 2 on bad usage.
 */
export function verifyCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    'verify',
    argv,
    {
      'public-key': { type: 'string' },
      'require-signature': { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    true,
  );
  if (positionals.length !== 1)
    throw new UsageError('verify: name exactly one run directory (drill verify reports/<run-id>)');
  const dir = resolve(positionals[0] ?? '');
  let trusted;
  const keyFile = values['public-key'];
  if (keyFile !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(keyFile, 'utf8');
    } catch (e) {
      throw new UsageError(`verify: --public-key ${keyFile}: cannot be read: ${describe(e)}`);
    }
    trusted = parsePublicKey(pem, `--public-key ${keyFile}`);
  }
  const config = readSigningConfig(process.cwd(), io.env);
  trusted ??= config.trusted?.key;
  const requireSignature = values['require-signature'] || config.requireSignature;
  const result = verifyRunDir(dir, trusted, {
    requireSignature,
    strict: values.strict || requireSignature,
  });
  const ok = result.problems.length === 0;
  if (values.json) {
    io.out.write(
      `${JSON.stringify(
        {
          runDir: dir,
          ok,
          signature: result.signature,
          problems: result.problems,
          checked: result.checked,
          notes: result.notes,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    for (const line of result.checked) io.out.write(`ok       ${line}\n`);
    for (const p of result.problems) io.out.write(`${p.kind.toUpperCase().padEnd(8)} ${p.message}\n`);
    for (const n of result.notes) io.out.write(`note     ${n}\n`);
    io.out.write(
      ok
        ? `verified: ${dir} is intact${result.signature.state === 'signed' ? (result.signature.trusted ? ', signed by the given key' : ', signed (key not checked against one you trust)') : ', UNSIGNED'}\n`
        : '',
    );
  }
  if (!ok)
    io.err.write(
      `drill verify: FAILED: ${result.problems.length} problem(s) in ${dir}: ${result.problems.map((p) => p.message).join('; ')}\n`,
    );
  return Promise.resolve(ok ? 0 : 1);
}

/** `drill keygen [--out DIR] [--force]`: an Ed25519 key pair for signing run manifests. */
export function keygenCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse('keygen', argv, {
    out: { type: 'string', default: '.' },
    force: { type: 'boolean', default: false },
  });
  const dir = resolve(values.out);
  const priv = join(dir, 'drill-signing-key.pem');
  const pub = join(dir, 'drill-signing-key.pub.pem');
  for (const f of [priv, pub])
    if (existsSync(f) && !values.force) throw new UsageError(`keygen: ${f} exists (--force to replace it)`);
  const pair = generateSigningKeyPair();
  mkdirSync(dir, { recursive: true });
  // The private key is created 0600 (and set so again when it replaces an older file).
  writeFileSync(priv, pair.privatePem, { mode: 0o600 });
  chmodSync(priv, 0o600);
  writeFileSync(pub, pair.publicPem, { mode: 0o644 });
  io.out.write(
    [
      `private key: ${priv} (mode 0600; keep it secret, out of version control: in CI, a secret passed as DRILL_SIGNING_KEY)`,
      `public key:  ${pub} (give it to auditors: drill verify <run-dir> --public-key ${pub})`,
      `fingerprint: ${pair.fingerprint}`,
      '',
    ].join('\n'),
  );
  return Promise.resolve(0);
}

/**
 * `drill status [--report-dir DIR] [--max-age DURATION] [--json]`: the drill calendar. With --max-age, exits 1
 * when a known drill has no passing run within that age, so CI can gate on drills being fresh.
 */
export async function statusCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse('status', argv, {
    'report-dir': { type: 'string', default: 'reports' },
    'max-age': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const maxAgeMs =
    values['max-age'] !== undefined ? parseDuration(values['max-age'], '--max-age') : undefined;
  const reportDir = resolve(values['report-dir']);
  const history = readHistory(reportDir);
  // The calendar of the DR drills: the maintenance routines run on their own cadence.
  const drills = (await loadScenarios())
    .filter((d) => d.kind !== 'routine')
    .map((d) => ({ id: d.id, quarter: d.quarter, title: d.title }));
  const verified = verifiedEntries(reportDir, history.entries, readSigningConfig(process.cwd(), io.env));
  const cal = drillCalendar(verified.entries, drills, new Date(), maxAgeMs);
  for (const s of history.skipped)
    io.err.write(`drill status: ${join(reportDir, HISTORY_FILE)} line ${s.line} ignored: ${s.reason}\n`);
  for (const [runDir, why] of verified.rejected)
    io.err.write(`drill status: run ${runDir} not counted: ${why}\n`);
  if (values.json) {
    io.out.write(
      `${JSON.stringify({ reportDir, history: join(reportDir, HISTORY_FILE), ...cal }, null, 2)}\n`,
    );
  } else {
    io.out.write(
      `drill calendar from ${join(reportDir, HISTORY_FILE)} (${history.entries.length} drill runs recorded)\n\n${renderCalendar(cal)}`,
    );
  }
  return cal.stale.length > 0 ? 1 : 0;
}

/**
 * `drill report <run-dir> [--pdf] [--evidence FILE] [--signing-key FILE]`: add a PDF, or people's evidence (a new
 * revision of the report), to a finished run. The run must verify first; the new manifest names the old one.
 */
export async function reportCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('report', argv, REPORT_OPTIONS, true);
  if (positionals.length !== 1)
    throw new UsageError('report: name exactly one run directory (drill report reports/<run-id> --pdf)');
  if (!values.pdf && values.evidence === undefined)
    throw new UsageError('report: nothing to do: pass --pdf and/or --evidence FILE');
  const dir = resolve(positionals[0] ?? '');
  if (!existsSync(join(dir, 'summary.json')))
    throw new UsageError(`report: ${dir} is not a drill run directory (no summary.json)`);
  // A new revision of report.html makes an existing PDF stale: render it again.
  const pdf = values.pdf || (values.evidence !== undefined && existsSync(join(dir, 'report.pdf')));
  const inputs = prepareReportInputs(
    { ...values, pdf, evidence: values.evidence },
    {
      ...io.env,
      DRILL_EVIDENCE_FILE: undefined,
    },
  );
  const config = readSigningConfig(process.cwd(), io.env);
  const res = await reissueReport(dir, {
    ...inputs,
    trust: {
      ...(config.trusted ? { trusted: config.trusted.key } : {}),
      requireSignature: config.requireSignature,
    },
  });
  io.out.write(
    `report: ${dir}/report.html (revision ${res.revision}${res.draft ? ', DRAFT' : ''}${res.signed ? ', signed' : ', unsigned'})\n`,
  );
  if (res.pdf) io.out.write(`report: ${dir}/report.pdf\n`);
  if (res.pdfError) {
    io.err.write(`drill report: report.pdf not written: ${res.pdfError}\n`);
    return 3;
  }
  return 0;
}

/**
 * The history entries whose run directory verifies (against the trusted key and signature requirement of the
 * config, when set): a line in history.jsonl is a claim, the run directory is the evidence. A run directory is
 * looked up by plain name inside the report directory only; each is verified once.
 */
function verifiedEntries(
  reportDir: string,
  entries: readonly HistoryEntry[],
  config: SigningConfig,
): { entries: HistoryEntry[]; rejected: Map<string, string> } {
  const verdicts = new Map<string, string | undefined>();
  const why = (runDir: string): string | undefined => {
    if (verdicts.has(runDir)) return verdicts.get(runDir);
    let reason: string | undefined;
    if (!isPlainName(runDir)) reason = 'its run directory is not a plain name inside the report directory';
    else {
      try {
        const r = verifyRunDir(join(reportDir, runDir), config.trusted?.key, {
          requireSignature: config.requireSignature,
          strict: config.requireSignature,
        });
        if (r.problems.length) reason = `does not verify: ${r.problems.map((p) => p.message).join('; ')}`;
      } catch (e) {
        reason = describe(e);
      }
    }
    verdicts.set(runDir, reason);
    return reason;
  };
  const kept = entries.filter((e) => why(e.runDir) === undefined);
  const rejected = new Map(
    [...verdicts].filter((v): v is [string, string] => v[1] !== undefined).map(([k, v]) => [k, v]),
  );
  return { entries: kept, rejected };
}
