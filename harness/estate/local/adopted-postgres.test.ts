import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../core/exec.ts';
import { AdoptedPostgres, isPostmasterOf } from './postgres.ts';

/**
 * postmaster.pid belongs to the database's account, and a runbook block running as that account can write any
 * pid into it. The harness (often root) must not signal the process it names unless it is that data directory's
 * server. A real unrelated process stands in for the victim.
 */
describe('a postmaster.pid naming a process that is not the server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'drill-adopted-'));
  const victim = spawn('sleep', ['30'], { stdio: 'ignore' });
  afterAll(() => {
    victim.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves that process alone in teardown', async () => {
    const pid = victim.pid as number;
    writeFileSync(join(dataDir, 'postmaster.pid'), `${pid}\n${dataDir}\n`);
    const role = new AdoptedPostgres('postgres-spare', 5999, dataDir, {
      host: '127.0.0.1',
      port: 5999,
      user: 'drill',
      password: 'x',
      database: 'postgres',
    });
    expect(isPostmasterOf(pid, dataDir)).toBe(false);
    expect(role.pid).toBeUndefined();
    expect(role.running()).toBe(false);
    role.signal('SIGTERM');
    await role.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid)).toBe(true);
  });

  it('does not take its own process for the server either', () => {
    expect(isPostmasterOf(process.pid, dataDir)).toBe(false);
  });
});
