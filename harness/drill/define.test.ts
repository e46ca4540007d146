import { describe, expect, it } from 'vitest';
import { missingCapabilities, type Backend } from '../estate/backend.ts';
import { defineDrill } from './define.ts';

const fake = (capabilities: Backend['capabilities']): Backend => ({
  name: 'fake',
  description: 'a test double',
  capabilities,
  prerequisites: () => Promise.resolve([]),
  provision: () => Promise.reject(new Error('not in a unit test')),
});

describe('capabilities', () => {
  it('a drill needs what its topology implies plus what it declares', () => {
    const d = defineDrill({
      id: 'cap-test',
      title: 't',
      quarter: 'Q1',
      description: '',
      runbookSection: '',
      objectives: {},
      needs: ['compose'],
      estate: { postgres: { standby: true, replication: 'sync' }, redis: true, app: { version: 'v1' } },
      procedure: () => [],
    });
    expect(d.needs).toEqual(['standby', 'sync-replication', 'redis', 'compose']);
    expect(missingCapabilities(fake(['standby', 'redis']), d.needs)).toEqual(['sync-replication', 'compose']);
  });

  it('refuses a capability no backend knows', () => {
    expect(() =>
      defineDrill({
        id: 'cap-test',
        title: 't',
        quarter: 'Q1',
        description: '',
        runbookSection: '',
        objectives: {},
        needs: ['teleport' as never],
        estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
        procedure: () => [],
      }),
    ).toThrow(/needs names an unknown capability 'teleport'/);
  });
});
