import { describe, expect, it } from 'vitest';
import { spareNamedBy } from './sites.ts';

describe('which spare server a block of the two-site docker estate runs in', () => {
  const restored = { name: 'postgres-restored', dataDir: '/var/lib/postgresql/postgres-restored' };
  const scratch = { name: 'postgres-scratch', dataDir: '/var/lib/postgresql/postgres-scratch' };
  const env = {
    RESTORE_DIR: restored.dataDir,
    RESTORE_NAME: restored.name,
    RESTORE_PORT: '40001',
    // A later view names the restored server the DR database: its directory under another name, no pair.
    DR_DATA: restored.dataDir,
  };

  it('is the spare whose directory the block uses', () => {
    expect(spareNamedBy([restored], 'cp -a "$BACKUP_DIR/base/." "$RESTORE_DIR/"', env)).toBe(restored);
    expect(spareNamedBy([restored], 'test -z "$(ls -A ${RESTORE_DIR})"', env)).toBe(restored);
  });

  it('is none for a block that does not use it, though the values of earlier steps are still there', () => {
    expect(spareNamedBy([restored], 'pg_rewind --target-pgdata="$PRIMARY_DATA" # $DR_DATA', env)).toBe(
      undefined,
    );
    expect(spareNamedBy([restored], 'echo "$RESTORE_DIRECTORY"', env)).toBe(undefined);
    expect(spareNamedBy([], 'cp -a x "$RESTORE_DIR/"', env)).toBe(undefined);
  });

  it('needs the name beside the directory, and picks the right one of several', () => {
    const both = { ...env, SCRATCH_DIR: scratch.dataDir, SCRATCH_NAME: scratch.name };
    expect(spareNamedBy([restored, scratch], 'ls "$SCRATCH_DIR"', both)).toBe(scratch);
    expect(spareNamedBy([restored, scratch], 'ls "$RESTORE_DIR"', both)).toBe(restored);
    expect(spareNamedBy([restored], 'ls "$RESTORE_DIR"', { RESTORE_DIR: restored.dataDir })).toBe(undefined);
  });
});
