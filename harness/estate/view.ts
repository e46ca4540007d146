/**
 * Views of an estate after its roles moved: what a later stage of an exercise (q4-full-exercise) finds when an
 * earlier one promoted another server. A scenario written for an estate in its first state (its primary is
 * `postgres.primary`, its runbook blocks reach it at `PRIMARY_HOST`) then runs unchanged on the view: the view's
 * `postgres.primary` is the server that is the primary now, and the blocks' environment names it.
 *
 * The addresses come from the estate's own environment at each site a block runs at (the standby's
 * `STANDBY_*`, the DR database's `DR_DB_*`), so they hold there as the backend wrote them.
 */
import { EstateError } from '../core/errors.ts';
import type { Estate, PostgresRole, PrimarySite, ProcessRole, RunbookShell, ShellSite } from './types.ts';

/**
 * The estate once the primary site's standby was promoted (Q1's failover): the standby is the primary, and
 * there is no standby any more.
 */
export function standbyPromoted(estate: Estate): Estate {
  const standby = estate.postgres.standby;
  if (!standby) throw new EstateError('the estate has no standby to have been promoted');
  const viewed = withPrimary(estate, standby, 'STANDBY');
  const site = estate.sites?.primary;
  // The old primary was fenced by the failover: it is no longer one of the roles running at its site.
  return site && estate.sites
    ? { ...viewed, sites: { ...estate.sites, primary: without(site, estate.postgres.primary) } }
    : viewed;
}

/**
 * The estate once the DR site serves (Q2's activation): the DR database is the primary, and what the runbook
 * calls the primary (`PRIMARY_HOST`, a base backup's source, a corruption's target) is at the DR site.
 */
export function drServes(estate: Estate): Estate {
  const dr = estate.sites?.dr.postgres;
  if (!dr) throw new EstateError('the estate has no DR site');
  return withPrimary(estate, dr, 'DR_DB');
}

/**
 * The estate once a server restored onto a spare at the DR site (DR scenario 3 there) holds the truth: it is the
 * DR site's database a failback rebuilds the primary site from (`DR_DB_*`, `DR_DATA`, `DR_DB_NAME`). A spare
 * listens where runbook blocks started it, on 127.0.0.1 of the host the database's blocks run on; where the
 * sites reach each other through links (`DrSite.adopt`), the link to the DR database now leads to it, and the
 * database's blocks keep reaching it there, as the rebuilt primary site's database will.
 */
export async function drDatabaseRestored(estate: Estate, spare: string): Promise<Estate> {
  const sites = estate.sites;
  if (!sites) throw new EstateError('the estate has no DR site');
  const role = await estate.spare(spare);
  if (!role.running())
    throw new EstateError(`${spare} is not running: nothing was restored at ${sites.dr.name}`);
  await sites.dr.adopt?.(role);
  const direct = { DR_DB_HOST: '127.0.0.1', DR_DB_PORT: String(role.port), DR_DATA: role.dataDir };
  const atDatabase = sites.dr.adopt ? { DR_DATA: role.dataDir } : direct;
  return {
    ...estate,
    sites: { ...sites, dr: { ...sites.dr, postgres: role } },
    shell: () => {
      const shell = estate.shell();
      return {
        ...shell,
        host: { ...shell.host, env: { ...shell.host.env, ...direct, DR_DB_NAME: role.name } },
        database: { ...shell.database, env: { ...shell.database.env, ...atDatabase } },
      };
    },
  };
}

/** The estate with `role` as its primary, whose address each site's environment gives under `PREFIX_HOST/PORT`. */
function withPrimary(estate: Estate, role: PostgresRole, prefix: 'STANDBY' | 'DR_DB'): Estate {
  const at = (env: Record<string, string>) => {
    const host = env[`${prefix}_HOST`];
    const port = env[`${prefix}_PORT`];
    if (!host || !port) throw new EstateError(`the runbook's environment has no ${prefix}_HOST/PORT`);
    return { PRIMARY_HOST: host, PRIMARY_PORT: port };
  };
  return {
    ...estate,
    postgres: { primary: role },
    shell: () => overlay(estate.shell(), at, { PRIMARY_NAME: role.name }),
  };
}

/** A shell whose sites' environments get `values` (from each site's own), and the host's `hostOnly` besides. */
function overlay(
  shell: RunbookShell,
  values: (env: Record<string, string>) => Record<string, string>,
  hostOnly: Record<string, string>,
): RunbookShell {
  const site = (s: ShellSite, extra: Record<string, string>): ShellSite => ({
    ...s,
    env: { ...s.env, ...values(s.env), ...extra },
  });
  return { ...shell, host: site(shell.host, hostOnly), database: site(shell.database, {}) };
}

/** The primary site without a role that no longer runs there; everything else is the site's own. */
function without(site: PrimarySite, gone: ProcessRole): PrimarySite {
  return {
    name: site.name,
    roles: site.roles.filter((r) => r !== gone),
    kill: () => site.kill(),
    ...(site.partition ? { partition: () => site.partition?.() ?? Promise.resolve() } : {}),
    ...(site.heal ? { heal: () => site.heal?.() ?? Promise.resolve() } : {}),
    fence: () => site.fence(),
    get fenced() {
      return site.fenced;
    },
    unfence: () => site.unfence(),
    start: (name) => site.start(name),
  };
}
