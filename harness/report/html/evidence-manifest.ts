/** The last section: every artifact with its sha256, the hash-chained event log, the signature, how to verify. */
import type { RunSummary } from '../summary.ts';
import type { HtmlContext } from './context.ts';
import { code, esc, table } from './parts.ts';

export function evidenceManifest(summary: RunSummary, ctx: HtmlContext): string {
  const rows = ctx.artifacts.map((a) => [
    code(a.path),
    esc(`${a.size.toLocaleString('en-US')} B`),
    `<code class="hash">${esc(a.sha256)}</code>`,
  ]);
  const sig = ctx.signing.signed
    ? `<span class="badge badge-passed">SIGNED</span> manifest.json is signed with Ed25519 (signature.json), key fingerprint ${code(ctx.signing.fingerprint)}.`
    : '<span class="badge badge-failed">UNSIGNED</span> No signing key was configured: the hashes detect accidental or naive changes only. Sign runs with <code>--signing-key FILE</code> or <code>DRILL_SIGNING_KEY</code> (create a key with <code>drill keygen</code>).';
  return `<section><h2>${summary.drills.length + 4}. Evidence manifest and integrity</h2>
<p>${sig}</p>
${rows.length ? table(['artifact', 'size', 'sha256'], rows, 'compact hashes') : ''}
${ctx.events ? `<p>Hash-chained event log ${code('events.jsonl')}: ${ctx.events.lines} lines, each carrying the sha256 of the line before; head ${code(ctx.events.head)}.</p>` : ''}
<p class="muted">This page (report.html) cannot contain its own hash: it is listed, with every artifact above, in ${code('manifest.json')}${ctx.signing.signed ? ', which the signature covers' : ''}. To check the run directory:</p>
<pre>npx drill verify reports/${esc(summary.runId)}${ctx.signing.signed ? ' --public-key drill-signing-key.pub.pem' : ''}</pre>
</section>`;
}
