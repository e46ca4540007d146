import { describe, expect, it } from 'vitest';
import { missingEvidence, parseEvidence } from './evidence.ts';
import { COMPLETE_EVIDENCE as COMPLETE } from '../../tests/fixtures/sample-record.ts';

describe('evidence input', () => {
  it('parses a complete file; nothing is missing', () => {
    const ev = parseEvidence(JSON.stringify(COMPLETE), 'ev.json');
    expect(ev).toEqual(COMPLETE);
    expect(missingEvidence(ev, true)).toEqual([]);
  });

  it.each([
    ['{', /evidence file ev\.json: not valid JSON/],
    ['[]', /evidence file ev\.json: \(top level\) must be an object/],
    ['{"validtor":"x"}', /evidence file ev\.json: validtor is not a known field/],
    [
      '{"participants":[{"name":"a"}]}',
      /evidence file ev\.json: participants\[0\]\.role must be a non-empty string/,
    ],
    [
      '{"findings":[{"title":"t","severity":"urgent"}]}',
      /findings\[0\]\.severity must be one of low, medium, high, critical, not 'urgent'/,
    ],
    [
      '{"findings":[{"title":"t","severity":"low","due":"next week"}]}',
      /findings\[0\]\.due must be a date YYYY-MM-DD/,
    ],
    ['{"signOff":{"name":"x"}}', /signOff\.date must be a non-empty string/],
    [
      '{"plannedStart":"2026-11-28T10:00:00Z","plannedEnd":"2026-11-28T09:00:00Z"}',
      /plannedEnd is before plannedStart/,
    ],
  ])('%s is one UsageError naming the file and the field', (text, message) => {
    expect(() => parseEvidence(text, 'ev.json')).toThrow(message);
  });

  it('lists what people still have to fill, including an independence problem', () => {
    expect(missingEvidence(undefined, true).map((m) => m.field)).toEqual([
      'participants',
      'controller',
      'validator',
      'signOff',
    ]);
    expect(missingEvidence({ ...COMPLETE, validator: 'Ada Lovelace' }, true)).toEqual([
      { field: 'validator', why: 'not independent: Ada Lovelace is also the controller' },
    ]);
    expect(missingEvidence({ ...COMPLETE, validator: 'Grace Hopper' }, true)[0]?.why).toMatch(
      /also a participant/,
    );
    expect(missingEvidence({ ...COMPLETE, findings: [] }, false).map((m) => m.field)).toEqual(['findings']);
    expect(
      missingEvidence({ ...COMPLETE, findings: [{ title: 't', severity: 'low' }] }, false).map(
        (m) => m.field,
      ),
    ).toEqual(['findings[0].owner', 'findings[0].due']);
  });
});
