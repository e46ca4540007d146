import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { blockOf, parseRunbook, redact } from './markdown.ts';

const doc = `# Runbook

## Deployment Steps

### Database backup

\`\`\`bash id=backup-db
pg_dump --format=custom --file="$BACKUP_DIR/backup.dump"
\`\`\`

Plain documentation block:

\`\`\`bash
echo not runnable by a drill
\`\`\`

## Rollback

\`\`\`sh id=restore-db
pg_restore --clean "$BACKUP_DIR/backup.dump"
echo done
\`\`\`
`;

describe('parseRunbook', () => {
  it('finds blocks with ids, their fence line and section', () => {
    const rb = parseRunbook(doc, 'runbook.md');
    expect([...rb.blocks.keys()]).toEqual(['backup-db', 'restore-db']);
    expect(blockOf(rb, 'backup-db')).toMatchObject({
      line: 7,
      section: 'Runbook > Deployment Steps > Database backup',
      lang: 'bash',
    });
    expect(blockOf(rb, 'restore-db').code).toBe('pg_restore --clean "$BACKUP_DIR/backup.dump"\necho done');
  });

  it('refuses duplicate ids and non-shell blocks, naming the file and line', () => {
    expect(() => parseRunbook('```bash id=a\n```\n```bash id=a\n```\n', 'r.md')).toThrow(
      /r\.md:3: block id 'a' is used twice/,
    );
    expect(() => parseRunbook('```python id=x\n```\n', 'r.md')).toThrow(UsageError);
  });

  it('names the known blocks when one is missing', () => {
    expect(() => blockOf(parseRunbook(doc, 'r.md'), 'nope')).toThrow(
      /no block with id=nope \(has: backup-db, restore-db\)/,
    );
  });
});

describe('redact', () => {
  it('hides every occurrence of a secret', () => {
    expect(redact('password=hunter22 and again hunter22', ['hunter22'])).toBe('password=*** and again ***');
  });
});
