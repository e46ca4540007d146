/**
 * What proves the pre-deployment checklist: for each item, a fault that breaks exactly the condition it checks on
 * the live estate (`drill checklist --break NAME`). The checklist must then fail on that item alone, with a
 * sentence a person can act on, and a deployment gated on it must not start. Each is reverted at teardown.
 */
import { appendFileSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { run } from '../core/exec.ts';
import { issueCert, tlsFrontOf } from '../estate/tls-front.ts';
import type { Capability } from '../estate/backend.ts';
import type { Estate, ProcessRole } from '../estate/types.ts';
import type { Fault } from './fault.ts';
import { Fault as F } from './fault.ts';

export interface ChecklistBreak {
  /** The checklist item (its block id) that must fail, and it alone. */
  item: string;
  what: string;
  /** Backends it can be applied on (default: all). */
  backends?: readonly string[];
  /** It needs the harness to run as root (mounting a small file system). */
  root?: boolean;
  /** What it needs of the backend beyond the checklist's estate (the monitoring, to stop a part of it). */
  needs?: readonly Capability[];
  fault: (estate: Estate) => Fault;
}

const HOUR = 3_600_000;

async function redisCli(estate: Estate, ...args: string[]): Promise<string> {
  const port = estate.redis?.port;
  if (port === undefined) throw new Error('the estate has no Redis');
  const r = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeoutMs: 5000 });
  return r.stdout.trim();
}

/**
 * Statements on the primary in one session with patient timeouts (a break is set up once, not probed: a machine
 * under load must not make it fail).
 */
async function onPrimarySession(e: Estate, statements: readonly string[]): Promise<void> {
  const client = new pg.Client({
    ...e.postgres.primary.connection(),
    connectionTimeoutMillis: 15_000,
    query_timeout: 15_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A statement on the primary, and one that undoes it. */
function onPrimary(name: string, apply: string[], undo: string[]): (e: Estate) => Fault {
  return (e) => ({
    name,
    target: e.postgres.primary.name,
    detail: apply.join('; '),
    inject: () => onPrimarySession(e, apply),
    async revert() {
      if (e.postgres.primary.running()) await onPrimarySession(e, undo);
    },
  });
}

/**
 * The database's volume nearly full: a 16 MiB file system (tmpfs) mounted for a tablespace of the primary and
 * filled to 87 %. Where the database lives now includes a disk with 13 % free.
 */
function diskFull(e: Estate): Fault {
  const dir = join(e.runDir, 'small-volume');
  let mounted = false;
  let tablespace = false;
  return {
    name: 'database volume filled to 87 %',
    target: e.postgres.primary.name,
    get detail() {
      return mounted ? `tmpfs of 16 MiB at ${dir} as tablespace checklist_small, 14 MiB written` : undefined;
    },
    async inject() {
      const owner = statSync(e.postgres.primary.dataDir);
      mkdirSync(dir, { recursive: true });
      // prettier-ignore
      await run('mount', ['-t', 'tmpfs', '-o', `size=16m,mode=0700,uid=${owner.uid},gid=${owner.gid}`, 'drillbook-checklist', dir]);
      mounted = true;
      await onPrimarySession(e, [`CREATE TABLESPACE checklist_small LOCATION '${dir}'`]);
      tablespace = true;
      writeFileSync(join(dir, 'filler'), Buffer.alloc(14 * 1024 * 1024, 1));
    },
    async revert() {
      if (tablespace && e.postgres.primary.running())
        await onPrimarySession(e, ['DROP TABLESPACE IF EXISTS checklist_small']);
      tablespace = false;
      if (mounted) await run('umount', [dir]);
      mounted = false;
    },
  };
}

/** The served certificate replaced by one of the same CA that expired yesterday. */
function expiredCert(e: Estate): Fault {
  return {
    name: 'TLS certificate replaced by an expired one',
    target: 'TLS endpoint',
    async inject() {
      const front = tlsFrontOf(e);
      if (!front) throw new Error('the estate has no TLS endpoint');
      const now = Date.now();
      const pair = await issueCert(front.ca, 'expired', front.serviceName, {
        notBefore: new Date(now - 91 * 24 * HOUR),
        notAfter: new Date(now - 24 * HOUR),
      });
      front.replaceCert(pair);
    },
    revert: () => Promise.resolve(),
  };
}

/** A program of the estate's monitoring (`alertmanager`, an exporter), as the backend exposes it. */
function monitoringProcess(e: Estate, name: string): ProcessRole {
  const mon = e.monitoring;
  if (!mon) throw new Error('the estate has no monitoring');
  const role = mon.processes?.[name];
  if (!role) throw new Error(`the ${e.backend} backend does not expose the monitoring's ${name} to stop it`);
  return role;
}

/** The breaks `drill checklist --break` knows, by name. */
export const CHECKLIST_BREAKS: Record<string, ChecklistBreak> = {
  'postgres-read-only': {
    item: 'check-postgres',
    what: 'the primary set read-only (default_transaction_read_only = on)',
    fault: onPrimary(
      'primary made read-only',
      ['ALTER SYSTEM SET default_transaction_read_only = on', 'SELECT pg_reload_conf()'],
      ['ALTER SYSTEM RESET default_transaction_read_only', 'SELECT pg_reload_conf()'],
    ),
  },
  'redis-read-only': {
    item: 'check-redis',
    what: 'Redis refuses writes (min-replicas-to-write 1 with no replica)',
    fault: (e) => ({
      name: 'Redis refuses writes',
      target: e.redis?.name ?? 'redis',
      detail: 'CONFIG SET min-replicas-to-write 1',
      inject: async () => void (await redisCli(e, 'CONFIG', 'SET', 'min-replicas-to-write', '1')),
      revert: async () => {
        if (e.redis?.running()) await redisCli(e, 'CONFIG', 'SET', 'min-replicas-to-write', '0');
      },
    }),
  },
  'replication-stopped': {
    item: 'check-replication',
    what: 'the standby stopped: nothing streams from the primary',
    fault: (e) => {
      if (!e.postgres.standby) throw new Error('the estate has no standby');
      return F.stop(e.postgres.standby);
    },
  },
  'disk-full': {
    item: 'check-disk',
    what: 'a volume of the database (a tablespace on a 16 MiB tmpfs) filled to 87 %',
    backends: ['local'],
    root: true,
    fault: diskFull,
  },
  'app-down': {
    item: 'check-app',
    what: 'the application stopped (the router still accepts connections)',
    fault: (e) => F.stop(e.app, { restartOnRevert: true }),
  },
  'stale-dump': {
    item: 'check-dump',
    what: "the logical dump's modification time set 30 hours back",
    fault: (e) => {
      const file = join(e.backups.backupDir, `${e.endpoints.db.database}.dump`);
      return {
        name: 'logical dump 30 h old',
        target: file,
        detail: 'mtime set to 30 h ago',
        inject: () => {
          const t = new Date(Date.now() - 30 * HOUR);
          utimesSync(file, t, t);
          return Promise.resolve();
        },
        revert: () => Promise.resolve(),
      };
    },
  },
  'corrupt-base-backup': {
    item: 'check-base-backup',
    what: 'a file of the base backup altered after it was taken (its size no longer matches the manifest)',
    fault: (e) => {
      const file = join(e.backups.backupDir, 'base', 'PG_VERSION');
      return {
        name: 'base backup altered',
        target: file,
        detail: 'one byte appended to PG_VERSION',
        inject: () => Promise.resolve(appendFileSync(file, '\n')),
        revert: () => Promise.resolve(),
      };
    },
  },
  'alertmanager-down': {
    item: 'check-alertmanager',
    what: 'Alertmanager stopped (Prometheus and the exporters still run)',
    needs: ['monitoring'],
    fault: (e) => F.stop(monitoringProcess(e, 'alertmanager')),
  },
  'expired-cert': {
    item: 'check-tls',
    what: 'the TLS endpoint serves a certificate of the same CA that expired yesterday',
    fault: expiredCert,
  },
};
