import { describe, expect, it } from 'vitest';
import { parseRunbook } from './markdown.ts';
import { judgeBlock, runBlock } from './execute.ts';

const rb = parseRunbook(
  [
    '# Runbook', // 1
    '', // 2
    '```bash id=ok', // 3
    'echo "hello $WHO"', // 4
    '```', // 5
    '', // 6
    '```bash id=fails', // 7
    'echo step one', // 8
    'false', // 9
    'echo never', // 10
    '```', // 11
    '```bash id=unset', // 12
    'echo "$NOT_SET"', // 13
    '```', // 14
    '```bash id=pipe', // 15
    'false | cat', // 16
    '```', // 17
  ].join('\n'),
  'docs/runbook.md',
);
const env = {
  PATH: process.env.PATH,
  WHO: '$(touch /tmp/drillbook-injected); world',
  SECRET: 's3cr3t-value',
};
const block = (id: string) =>
  rb.blocks.get(id) ??
  (() => {
    throw new Error(id);
  })();

describe('runBlock', () => {
  it('passes values through the environment only: a value is never executed', async () => {
    const r = await runBlock(block('ok'), { env, timeoutMs: 5000, secrets: [] });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('hello $(touch /tmp/drillbook-injected); world\n');
  });

  it('stops at the first failing command and names its markdown line', async () => {
    const r = await runBlock(block('fails'), { env, timeoutMs: 5000, secrets: [] });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('step one\n');
    expect(r.failedLine).toBe(9);
    expect(() => judgeBlock(block('fails'), 'docs/runbook.md', r)).toThrow(
      /runbook block 'fails' failed at docs\/runbook\.md#L9 \(exit 1\)/,
    );
  });

  it('is strict about unset variables and pipelines', async () => {
    expect((await runBlock(block('unset'), { env, timeoutMs: 5000, secrets: [] })).exitCode).not.toBe(0);
    expect((await runBlock(block('pipe'), { env, timeoutMs: 5000, secrets: [] })).exitCode).not.toBe(0);
  });

  it('redacts secrets from what it captured and checks expectations on output', async () => {
    const b = { ...block('ok'), code: 'echo "password is $SECRET"' };
    const r = await runBlock(b, { env, timeoutMs: 5000, secrets: ['s3cr3t-value'] });
    expect(r.stdout).toBe('password is ***\n');
    expect(() => judgeBlock(b, 'docs/runbook.md', r, { stdout: /password is \*\*\*/ })).not.toThrow();
    expect(() => judgeBlock(b, 'docs/runbook.md', r, { stdout: 'rows=1000' })).toThrow(
      /output did not match rows=1000/,
    );
  });
});
