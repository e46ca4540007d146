/**
 * The local backend: the estate as processes on 127.0.0.1, from the machine's own PostgreSQL server binaries,
 * redis-server, and node for the app and the router.
 */
import { describe, PrerequisiteError } from '../../core/errors.ts';
import type { Backend, Prerequisite } from '../backend.ts';
import { findPgBinDir, findRedisServer, unprivilegedUser } from '../host/binaries.ts';
import { partitionLeaks, partitionProblem, sweepPartitions } from '../host/partition.ts';
import { monitoringPrerequisites } from '../monitoring/binaries.ts';
import { provisionLocal } from './local-backend.ts';

export const localBackend: Backend = {
  name: 'local',
  description: 'processes on 127.0.0.1',
  capabilities: [
    'standby',
    'sync-replication',
    'redis',
    'spare-postgres',
    'sites',
    'site-partition',
    'site-failback',
    'site-spare-postgres',
    'monitoring',
  ],

  async prerequisites(env) {
    const found: Prerequisite[] = [];
    const pg = findPgBinDir(env);
    found.push(
      pg
        ? { what: 'PostgreSQL server binaries', ok: true, detail: pg }
        : {
            what: 'PostgreSQL server binaries',
            ok: false,
            detail: `initdb, postgres, pg_basebackup, pg_ctl not found${env.DRILL_PG_BINDIR ? ` in DRILL_PG_BINDIR=${env.DRILL_PG_BINDIR}` : ''}`,
            remedy: 'apt-get install postgresql (macOS: brew install postgresql@15) or set DRILL_PG_BINDIR',
          },
    );
    try {
      found.push({ what: 'Postgres runs as', ok: true, detail: unprivilegedUser(env)?.name ?? 'yourself' });
    } catch (e) {
      const remedy = e instanceof PrerequisiteError ? e.remedy : undefined;
      found.push({
        what: 'an account to run Postgres as',
        ok: false,
        detail: remedy ? describe(e).slice(0, -(remedy.length + 2)) : describe(e),
        ...(remedy ? { remedy } : {}),
      });
    }
    const redis = findRedisServer(env);
    found.push(
      redis
        ? { what: 'redis-server', ok: true, detail: redis, onlyFor: 'redis' }
        : {
            what: 'redis-server',
            ok: false,
            detail: 'not found (needed only by drills whose estate has Redis)',
            remedy: 'apt-get install redis-server (macOS: brew install redis) or set DRILL_REDIS_SERVER',
            onlyFor: 'redis',
          },
    );
    found.push(...monitoringPrerequisites(env));
    const cut = await partitionProblem();
    found.push(
      cut
        ? {
            what: 'iptables (a site cut off the network)',
            ok: false,
            detail: cut,
            remedy: 'run as root with iptables (apt-get install iptables)',
            onlyFor: 'site-partition',
          }
        : {
            what: 'iptables (a site cut off the network)',
            ok: true,
            detail: 'root, iptables',
            onlyFor: 'site-partition',
          },
    );
    return found;
  },

  provision: provisionLocal,
  leaks: partitionLeaks,
  sweep: sweepPartitions,
};
