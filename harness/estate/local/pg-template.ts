import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../core/exec.ts';
import { PROJECT_ROOT } from '../host/project-root.ts';
import { TEMPLATE_SQL, templateInitdbArgs } from '../postgres-config.ts';

/**
 * A freshly initialised cluster, made once per machine and copied into every new primary: `initdb` costs about
 * half a second of a drill's start-up on these machines, a copy and one statement in single-user mode about a
 * tenth. The template also holds the application's database (TEMPLATE_SQL), which every primary would create. The copy is the cluster initdb would have made (same binaries, superuser, encoding, locale and WAL
 * segment size); only the superuser's password and the authentication rules are the run's own, set on the copy.
 *
 * Every primary made from one template shares its system identifier. Nothing in a drill tells two estates apart
 * by it (each run has its own ports, directories, archive and names), and the servers of one estate share it
 * anyway, since standbys and restores are base backups of the primary.
 */
export interface TemplateSpec {
  binDir: string;
  superuser: string;
  walSegmentMb?: number;
  /** The account the servers run as (as root: the database account). */
  user?: { uid: number; gid: number };
  /** A directory that account can write in (the run's), where initdb makes the template before it is cached. */
  scratchDir: string;
}

const TEMPLATES = join(PROJECT_ROOT, 'node_modules', '.cache', 'drillbook', 'pg-templates');

/**
 * The template's directory, made when missing. Keyed by the initdb binary (path, size, modification time), the
 * superuser, the WAL segment size, the owning account and what the template holds (TEMPLATE_SQL), so another
 * PostgreSQL, account or recipe gets its own. Made
 * in a temporary directory and renamed into place, so concurrent runs never see half a template.
 */
export async function clusterTemplate(spec: TemplateSpec): Promise<string> {
  const initdb = join(spec.binDir, 'initdb');
  const st = statSync(initdb);
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        initdb,
        st.size,
        st.mtimeMs,
        spec.superuser,
        spec.walSegmentMb ?? 16,
        spec.user?.uid ?? process.getuid?.(),
        TEMPLATE_SQL,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  const dir = join(TEMPLATES, key);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  mkdirSync(TEMPLATES, { recursive: true });
  sweepUnfinished();
  // initdb runs as the database account, which may not reach the cache (under a private home): it writes in the
  // run's directory, and the finished cluster is copied into the cache, then renamed into place.
  const made = join(spec.scratchDir, `pg-template-${randomBytes(4).toString('hex')}`);
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(made, { mode: 0o700 });
  if (spec.user) chownSync(made, spec.user.uid, spec.user.gid);
  try {
    const asUser = {
      env: { PATH: process.env.PATH, LANG: 'C' },
      cwd: spec.scratchDir,
      timeoutMs: 60_000,
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
    };
    await run(initdb, ['-D', made, ...templateInitdbArgs(spec.superuser, spec.walSegmentMb ?? 16)], asUser);
    await run(
      join(spec.binDir, 'postgres'),
      ['--single', '-D', made, '-c', 'log_min_messages=warning', 'postgres'],
      { ...asUser, input: TEMPLATE_SQL },
    );
    await run('cp', ['-a', made, tmp], { timeoutMs: 60_000 });
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another run put its template there first: that one serves.
      if (!existsSync(join(dir, 'PG_VERSION'))) throw e;
    }
  } finally {
    rmSync(made, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Copies a killed run left half-made in the cache (an hour old: a concurrent run's may still be in progress). */
function sweepUnfinished(): void {
  for (const name of readdirSync(TEMPLATES)) {
    if (!name.includes('.tmp-')) continue;
    const path = join(TEMPLATES, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > 3600_000) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone meanwhile
    }
  }
}
