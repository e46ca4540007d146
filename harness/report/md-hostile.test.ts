import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { COMPLETE_EVIDENCE, sampleRecord, sampleRun } from '../../tests/fixtures/sample-record.ts';
import type { DrillRecord } from '../record/record.ts';
import { renderMarkdown } from './markdown.ts';
import { mdCode, mdFence, mdText } from './md-escape.ts';
import { renderStepSummary } from './step-summary.ts';

/** What people and runbook output can put into a report, crafted to turn it against its readers. */
const HOSTILE = [
  '\n# pwned heading\n',
  '![pwned](https://tracker.example/pixel.png)',
  '[pwned](javascript:alert(1))',
  '<img src=x onerror=alert(1)>pwned',
  '<script>alert("pwned")</script>',
  '<javascript:alert(1)>',
  '&#106;avascript:pwned',
  '| pwned | cell |',
  'pwned\u001b[31m red \u001b[0m\u0007\u202e',
].join(' ');

const OUTPUT = 'line 1\n```\n# pwned after a fence\n````\n<b>pwned</b>\nlast line';

function hostileRecord(): DrillRecord {
  const r = sampleRecord({ aborted: true });
  r.error = { phase: 'procedure', message: HOSTILE, aborted: false };
  r.timeline.push(
    { kind: 'note', t: 3100, message: HOSTILE },
    {
      kind: 'step',
      name: `restore ${HOSTILE}`,
      t: 3200,
      end: 3300,
      ok: false,
      source: HOSTILE,
      via: 'runbook-block',
      error: HOSTILE,
      output: OUTPUT,
    },
  );
  r.teardown = {
    kept: false,
    results: [{ name: HOSTILE, ok: false, durationMs: 3, error: HOSTILE }],
    leaks: [HOSTILE],
  };
  r.criteria.push({
    name: 'cleanup',
    objective: HOSTILE,
    measured: HOSTILE,
    passed: false,
    message: HOSTILE,
  });
  return r;
}

const md = new MarkdownIt({ html: true, linkify: true });

/** Every token markdown-it makes of a document, inline children included. */
function tokens(text: string) {
  return md.parse(text, {}).flatMap((t) => [t, ...(t.children ?? [])]);
}

function expectInert(text: string): void {
  const all = tokens(text);
  expect(all.filter((t) => t.type === 'html_inline' || t.type === 'html_block')).toEqual([]);
  expect(all.filter((t) => t.type === 'image')).toEqual([]);
  // A bare URL in the text may be shown as itself (GFM autolinks it): never a disguised or javascript: link.
  for (const [i, t] of all.entries()) {
    if (t.type !== 'link_open') continue;
    const href = t.attrGet('href') ?? '';
    expect(href).toMatch(/^https?:\/\//);
    expect(t.markup === 'linkify' || all[i + 1]?.content === href).toBe(true);
  }
  const headings = md
    .parse(text, {})
    // A heading's own words (its text), not a code span of ours that quotes a hostile id.
    .map((t, i, a) =>
      t.type === 'heading_open'
        ? (a[i + 1]?.children ?? [])
            .filter((c) => c.type === 'text')
            .map((c) => c.content)
            .join('')
        : undefined,
    )
    .filter((h): h is string => h !== undefined);
  expect(headings.filter((h) => h.includes('pwned'))).toEqual([]);
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
  // The hostile text is still there for people to read, as text.
  expect(md.render(text)).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
}

describe('untrusted strings in report.md and the CI job summary', () => {
  const { summary, records } = sampleRun([hostileRecord()]);
  summary.drills[0]?.messages.push(HOSTILE);

  it('report.md shows them as text: no heading, link, image, raw HTML or control character', () => {
    const text = renderMarkdown(summary, records, {
      ...COMPLETE_EVIDENCE,
      deviations: [HOSTILE],
      participants: [{ name: HOSTILE, role: HOSTILE }],
    });
    expectInert(text);
  });

  it('report.md shows a failed step’s output verbatim in a fence nothing inside can close', () => {
    const text = renderMarkdown(summary, records);
    const fences = md.parse(text, {}).filter((t) => t.type === 'fence');
    expect(fences.map((f) => f.content)).toContain(`${OUTPUT}\n`);
  });

  it('the job summary shows them as text too', () => {
    const text = renderStepSummary(
      { ...summary, runId: HOSTILE, backend: HOSTILE },
      { runDir: `/tmp/${HOSTILE}`, signed: false, draft: false },
    );
    expectInert(text);
  });

  it('code spans and fences outlast any backtick run inside', () => {
    for (const s of ['a`b', '``x``', '`', 'plain']) {
      const [code] = tokens(mdCode(s)).filter((t) => t.type === 'code_inline');
      expect(code?.content).toBe(s);
    }
    const [fence] = md.parse(mdFence('```\n`````\n').join('\n'), {}).filter((t) => t.type === 'fence');
    expect(fence?.content).toBe('```\n`````\n\n');
    expect(mdText('a|b\nc')).toBe('a\\|b c');
  });
});
