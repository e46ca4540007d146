/**
 * Escaping for markdown (report.md, the CI job summary). Strings from evidence files, runbook output, error
 * messages, teardown and leak reports are untrusted: in text they must stay text, never a heading, a link, an
 * image that fetches a URL, raw HTML or an entity; control characters (terminal escapes, bidirectional
 * overrides) are dropped. Code goes into code spans or fenced blocks whose fence no backtick run inside can close.
 */

/** C0 and C1 controls, DEL and the bidirectional overrides and isolates; newlines and tabs are handled apart. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The characters that can make text into something else: a link or image (`[`, `]`, `!`), raw HTML or an
 * autolink (`<`, `>`), an entity (`&`), a code span (backtick), a table cell break (`|`), a heading (`#`) and the
 * escape itself. Escaped, each is shown as itself. Emphasis characters are left alone: they can only change how
 * text looks, and the report's own sentences (t_f, t_r) stay readable in the source.
 */
const SPECIAL = /[!#&<>[\\\]`|]/g;

/** Untrusted text inside a line or a table cell: one line, every special character escaped. */
export function mdText(s: string | number | undefined): string {
  return String(s ?? '')
    .replace(/\r\n|[\n\r\t]/g, ' ')
    .replace(CONTROL, '')
    .replace(SPECIAL, '\\$&');
}

/** The longest run of backticks in a string. */
function longestBacktickRun(s: string): number {
  let longest = 0;
  let run = 0;
  for (const ch of s) {
    run = ch === '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/** An inline code span that shows `s` verbatim (one line), whatever backticks it holds. */
export function mdCode(s: string | number | undefined): string {
  const text = String(s ?? '')
    .replace(/\r\n|[\n\r\t]/g, ' ')
    .replace(CONTROL, '');
  const ticks = '`'.repeat(longestBacktickRun(text) + 1);
  // A space on each side keeps a leading or trailing backtick from joining the fence (CommonMark strips one).
  return text.includes('`') ? `${ticks} ${text} ${ticks}` : `${ticks}${text}${ticks}`;
}

/** A fenced block showing `s` verbatim: its fence is longer than any backtick run inside, so nothing closes it. */
export function mdFence(s: string, info = 'text'): string[] {
  const text = s.replace(/\r\n?/g, '\n').replace(CONTROL, '');
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return [`${fence}${info}`, ...text.split('\n'), fence];
}
