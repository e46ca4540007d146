import { describe, expect, it } from 'vitest';
import { parseRunbook } from './markdown.ts';

/**
 * A runbook is user input: no line of it, however crafted, may make the parser backtrack super-linearly. Each
 * input is ~100k characters; a linear parser takes milliseconds, a quadratic one seconds to minutes.
 */
const N = 100_000;
const hostile: [string, string][] = [
  ['a heading line of spaces', `# a${' '.repeat(N)}b`],
  ['a heading line of spaces ending in #', `# a${' '.repeat(N)}#${' '.repeat(10)}x`],
  ['a heading of spaces and hashes', `## ${' #'.repeat(N / 2)}x`],
  ['a fence line of spaces', `\`\`\`${' '.repeat(N)}x`],
  [
    'a fence info string of spaces and ids',
    `\`\`\`bash${' '.repeat(N)}id=${'a'.repeat(10)}${' '.repeat(N)}!`,
  ],
  ['a fence info string of as= words', `\`\`\`bash id=x ${'as= '.repeat(N / 4)}`],
  ['a long run of backticks', '`'.repeat(N)],
  ['many short headings', '# x  \n'.repeat(N / 6)],
];

describe('the runbook parser on hostile input', () => {
  it.each(hostile)('%s finishes well under a second', (_name, text) => {
    const started = performance.now();
    try {
      parseRunbook(text, 'hostile.md');
    } catch {
      // A usage error is a fine answer to garbage; only the time matters here.
    }
    expect(performance.now() - started).toBeLessThan(250);
  });
});
