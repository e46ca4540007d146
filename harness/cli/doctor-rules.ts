/**
 * `drill doctor --rules FILE`: the rules against reality. promtool checks the file (exit 2 with its message);
 * then a disposable local estate with its monitoring is stood up (Postgres, Redis, the app, Prometheus and the
 * exporters, as a drill would), and every metric each rule selects is looked up in the live Prometheus. A rule
 * that selects no series is a finding (exit 1). Everything is torn down and leak-checked.
 */
import type { SystemUnderTest } from '../config/system.ts';
import { formatDuration } from '../core/duration.ts';
import { describe, UsageError } from '../core/errors.ts';
import { newRunId } from '../core/session.ts';
import { TeardownStack } from '../core/teardown.ts';
import { checkMonitoringFiles } from '../estate/monitoring/check.ts';
import { defaultMonitoringSettings, selectors } from '../estate/monitoring/config.ts';
import { forgetOwn } from '../estate/host/registry.ts';
import { findEstateLeaks, provisionEstate } from '../estate/provision.ts';
import { checkRuleSeries, scrapedJobs } from '../probes/alert-watcher.ts';
import type { Io } from './io.ts';

/**
 * `system`: the system under test from the config; its app runs as the estate's app, in its first release (the
 * config lists the good release first, as drills start from it).
 */
export async function doctorRules(
  file: string,
  alertmanager: string | undefined,
  system: SystemUnderTest,
  io: Io,
): Promise<number> {
  const settings = { ...defaultMonitoringSettings(), rulesFile: file };
  if (alertmanager) settings.alertmanagerFile = alertmanager;
  checkMonitoringFiles(settings, io.env);
  const release = Object.keys(system.releases)[0];
  if (release === undefined) throw new UsageError(`${system.configFile}: system.releases: no release to run`);
  const runId = newRunId();
  const teardown = new TeardownStack();
  const started = performance.now();
  io.out.write(
    `rules ${file}: promtool check rules ok; standing up a local estate with its monitoring (${runId})\n`,
  );
  let findings = 0;
  let resources = { pids: [] as number[], ports: [] as number[], dirs: [] as string[] };
  try {
    const estate = await provisionEstate(
      'local',
      {
        postgres: { standby: false, replication: 'async' },
        redis: true,
        app: { version: release },
        monitoring: true,
      },
      { runId, drillId: 'doctor-rules', teardown, system, startTimeoutMs: 60_000, monitoring: settings },
    );
    resources = estate.resources();
    const mon = estate.monitoring;
    if (!mon) throw new Error('the local estate came up without its monitoring');
    const jobs = await scrapedJobs(mon, io.signal);
    const missing = new Map((await checkRuleSeries(mon, jobs)).map((f) => [f.rule, f.missing]));
    for (const rule of mon.rules) {
      const gone = missing.get(rule.name);
      if (gone) findings++;
      io.out.write(
        gone
          ? `FIND  ${rule.name}: selects no series in the live Prometheus: ${gone.join(', ')}\n`
          : `ok    ${rule.name}: ${selectors(rule.expr).join(', ')}\n`,
      );
    }
  } catch (e) {
    io.err.write(`drill: doctor --rules: ${describe(e)}\n`);
    findings = -1;
  } finally {
    const results = await teardown.run();
    const leaks = await findEstateLeaks('local', runId, resources).catch((e: unknown) => [describe(e)]);
    const failed = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error ?? ''}`);
    if (leaks.length + failed.length) {
      io.err.write(`drill: doctor --rules left resources behind: ${[...leaks, ...failed].join('; ')}\n`);
      findings = -1;
    } else {
      // Nothing of the estate is left: the registry entry that would let cleanup find it has served.
      forgetOwn();
    }
  }
  io.out.write(
    findings < 0
      ? 'rules not checked against a live Prometheus (see above)\n'
      : `${findings ? `${findings} rule${findings > 1 ? 's select' : ' selects'} no series` : 'every rule selects live series'} (checked in ${formatDuration(performance.now() - started)})\n`,
  );
  return findings === 0 ? 0 : 1;
}
