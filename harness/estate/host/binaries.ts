import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { join, delimiter } from 'node:path';
import { execFileSync } from 'node:child_process';
import { PrerequisiteError } from '../../core/errors.ts';

const PG_TOOLS = ['initdb', 'postgres', 'pg_basebackup', 'pg_ctl'] as const;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function hasPgTools(dir: string): boolean {
  return PG_TOOLS.every((t) => executable(join(dir, t)));
}

/**
 * Find the PostgreSQL server binaries: DRILL_PG_BINDIR, then `postgres` on PATH, then `pg_config --bindir`,
 * then the newest /usr/lib/postgresql/<version>/bin (where Debian and Ubuntu put them, off PATH).
 */
export function findPgBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates: string[] = [];
  if (env.DRILL_PG_BINDIR) return hasPgTools(env.DRILL_PG_BINDIR) ? env.DRILL_PG_BINDIR : undefined;
  const pg = onPath('postgres', env);
  if (pg) candidates.push(join(pg, '..'));
  const pgConfig = onPath('pg_config', env);
  const bindir = pgConfig ? pgConfigBindir(pgConfig) : undefined;
  if (bindir) candidates.push(bindir);
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // not a Debian-style layout
  }
  return candidates.find(hasPgTools);
}

/**
 * `pg_config --bindir`, asked once per pg_config: a run asks for the binaries several times (prerequisites,
 * provisioning, the estate's tools), and each spawn cost 40-100 ms of CPU measured under load.
 */
const bindirs = new Map<string, string | undefined>();
function pgConfigBindir(pgConfig: string): string | undefined {
  if (!bindirs.has(pgConfig)) {
    try {
      bindirs.set(pgConfig, execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8' }).trim());
    } catch {
      // pg_config without a server is common (client-only installs); try the next place.
      bindirs.set(pgConfig, undefined);
    }
  }
  return bindirs.get(pgConfig);
}

export function requirePgBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = findPgBinDir(env);
  if (!dir) {
    throw new PrerequisiteError(
      `PostgreSQL server binaries (${PG_TOOLS.join(', ')}) not found${env.DRILL_PG_BINDIR ? ` in DRILL_PG_BINDIR=${env.DRILL_PG_BINDIR}` : ''}`,
      'install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@15) or set DRILL_PG_BINDIR',
    );
  }
  return dir;
}

export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (
    (env.DRILL_REDIS_SERVER || undefined) ??
    onPath('redis-server', env) ??
    (executable('/usr/bin/redis-server') ? '/usr/bin/redis-server' : undefined)
  );
}

export function requireRedisServer(env: NodeJS.ProcessEnv = process.env): string {
  const path = findRedisServer(env);
  if (!path) {
    throw new PrerequisiteError(
      'redis-server not found',
      'install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set DRILL_REDIS_SERVER',
    );
  }
  return path;
}

export interface PgUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Postgres refuses to run as root. As root, the estate's Postgres runs as an unprivileged account:
 * DRILL_PG_USER, else `postgres`, else `nobody`. Not root: undefined (run as ourselves).
 */
export function unprivilegedUser(env: NodeJS.ProcessEnv = process.env): PgUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  const wanted = env.DRILL_PG_USER ? [env.DRILL_PG_USER] : ['postgres', 'nobody'];
  for (const name of wanted) {
    const line = passwd.find((l) => l.startsWith(`${name}:`));
    const [, , uid, gid] = line?.split(':') ?? [];
    if (uid !== undefined && gid !== undefined && Number(uid) !== 0)
      return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new PrerequisiteError(
    `running as root and no unprivileged account (${wanted.join(', ')}) to run PostgreSQL as`,
    'create one (useradd --system postgres) or set DRILL_PG_USER',
  );
}
