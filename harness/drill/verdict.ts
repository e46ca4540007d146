import { alertProblems, type AlertsMeasurement } from '../measure/alerts.ts';
import { formatDuration } from '../core/duration.ts';
import type { ShippingMeasurement } from '../measure/shipping.ts';
import type { CacheMeasurement } from '../measure/cache.ts';
import type { ClientImpact } from '../measure/impact.ts';
import type { RpoResult } from '../measure/rpo.ts';
import type { RtoResult } from '../measure/rto.ts';
import type { Criterion } from '../record/record.ts';
import type { ChecklistItem, IntegrityCheck } from '../record/record.ts';

/**
 * Judge the measurements against the objectives. Pure: objectives and measurements in, criteria out, each with a
 * message that names the subject, what was measured and the limit.
 */
export function evaluate(
  drillId: string,
  objectives: { rtoMs?: number; rpoMs?: number },
  rto: RtoResult | undefined,
  rpo: RpoResult | undefined,
  checks: readonly IntegrityCheck[],
  runbookOk: boolean,
  cache?: CacheMeasurement,
): Criterion[] {
  const out: Criterion[] = [];
  const subject = JSON.stringify(drillId);
  if (!rto) {
    // No fault, nothing to recover from: the drill verifies a procedure, judged by its checks.
  } else if (rto.status !== 'recovered') {
    out.push({
      name: 'recovered',
      objective: 'service recovers after the fault',
      measured: `not recovered: ${rto.reason}`,
      passed: false,
      message: `service did not recover for ${subject}: ${rto.reason}${runbookOk ? '' : ' (the runbook failed)'}`,
    });
  } else if (objectives.rtoMs !== undefined) {
    const passed = rto.rtoMs <= objectives.rtoMs;
    out.push({
      name: 'rto',
      objective: `<= ${formatDuration(objectives.rtoMs)}`,
      measured: rto.outage
        ? `${formatDuration(rto.rtoMs)} (±${formatDuration(rto.resolutionMs)})`
        : `${formatDuration(rto.rtoMs)} (no outage)`,
      passed,
      message: passed
        ? `RTO ${formatDuration(rto.rtoMs)} within objective ${formatDuration(objectives.rtoMs)} for ${subject}`
        : `RTO ${formatDuration(rto.rtoMs)} exceeded objective ${formatDuration(objectives.rtoMs)} for ${subject}`,
    });
  }
  if (rpo) {
    if (objectives.rpoMs !== undefined) {
      const passed = rpo.rpoMs <= objectives.rpoMs;
      const lost = `${rpo.lostAckedWrites} of ${rpo.ackedWrites} acked writes lost`;
      out.push({
        name: 'rpo',
        objective: `<= ${formatDuration(objectives.rpoMs)}`,
        measured: `${formatDuration(rpo.rpoMs)} (${lost})`,
        passed,
        message: passed
          ? `RPO ${formatDuration(rpo.rpoMs)} within objective ${formatDuration(objectives.rpoMs)} for ${subject} (${lost})`
          : `RPO ${formatDuration(rpo.rpoMs)} exceeded objective ${formatDuration(objectives.rpoMs)} for ${subject} (${lost})`,
      });
    }
    const anomalies = rpo.unexpectedSeqs.length;
    out.push({
      name: 'canary',
      objective: 'no canary row that was never sent; canary writes acknowledged',
      measured: `${rpo.ackedWrites} acked, ${anomalies} unexpected rows`,
      passed: anomalies === 0 && rpo.ackedWrites > 0,
      message:
        anomalies > 0
          ? `${anomalies} canary rows present that were never sent for ${subject}`
          : rpo.ackedWrites === 0
            ? `no canary write was acknowledged for ${subject}: nothing to measure data loss against`
            : `canary rows consistent for ${subject}`,
    });
  }
  if (cache) out.push(cacheCriterion(subject, cache));
  const failedChecks = checks.filter((c) => !c.passed);
  if (checks.length > 0) {
    out.push({
      name: 'data-integrity',
      objective: `${checks.length} integrity checks pass`,
      measured: `${checks.length - failedChecks.length} of ${checks.length} passed`,
      passed: failedChecks.length === 0,
      message: failedChecks.length
        ? `integrity checks failed for ${subject}: ${failedChecks.map((c) => `${c.name}: expected ${c.expected}, got ${c.actual}`).join('; ')}`
        : `all ${checks.length} integrity checks passed for ${subject}`,
    });
  }
  return out;
}

/**
 * The cache canary's loss against the window the drill accepts: acknowledged keys may be lost only from the
 * last `maxWindowMs` before the crash, the canary must have been acknowledged at all, no key may appear that
 * was never written, and after an outage the cache must take writes again.
 */
export function cacheCriterion(subject: string, c: CacheMeasurement): Criterion {
  const lost = `${c.lostAckedWrites} of ${c.ackedWrites} acked keys lost`;
  const measured = `window ${formatDuration(c.windowMs)} (${lost}${c.lostSeqRanges.length ? `: seqs ${c.lostSeqRanges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ')}` : ''})`;
  const problems = [
    ...(c.ackedWrites === 0 ? ['no canary key was acknowledged: nothing to measure the loss against'] : []),
    ...(c.windowMs > c.maxWindowMs
      ? [`cache loss window ${formatDuration(c.windowMs)} exceeded ${formatDuration(c.maxWindowMs)}`]
      : []),
    ...(c.unexpectedKeys > 0 ? [`${c.unexpectedKeys} canary keys present that were never written`] : []),
    ...(c.outageSeenAfterMs !== undefined && c.ackedAgainAfterMs === undefined
      ? ['the cache took no canary write again after its outage']
      : []),
  ];
  return {
    name: 'cache',
    objective: `acked keys lost within <= ${formatDuration(c.maxWindowMs)} before the crash`,
    measured,
    passed: problems.length === 0,
    message: problems.length
      ? `${problems.join('; ')} for ${subject} (${lost})`
      : `cache loss window ${formatDuration(c.windowMs)} within ${formatDuration(c.maxWindowMs)} for ${subject} (${lost})`,
  };
}

/**
 * The pre-deployment checklist: every item passes or is skipped with a reason; a failed item fails the drill,
 * and the message names each failed item with its own sentence.
 */
export function checklistCriterion(subject: string, items: readonly ChecklistItem[]): Criterion {
  const failed = items.filter((i) => i.status === 'fail');
  const skipped = items.filter((i) => i.status === 'skip').length;
  return {
    name: 'checklist',
    objective: `every item of the pre-deployment checklist passes (${items.length} items)`,
    measured: `${items.length - failed.length - skipped} passed, ${failed.length} failed, ${skipped} skipped`,
    passed: failed.length === 0,
    message: failed.length
      ? `pre-deployment checklist failed for ${subject}: ${failed.map((i) => `${i.section}/${i.name}: ${i.reason ?? i.detail}`).join('; ')}`
      : `pre-deployment checklist passed for ${subject} (${skipped} items skipped)`,
  };
}

/** A drill that must cause no outage: no probe may fail and no write be refused while it runs. */
export function clientImpactCriterion(subject: string, c: ClientImpact): Criterion {
  const measured = `${c.failedProbes} of ${c.probes} probes failed, ${c.refusedWrites} of ${c.writes} writes refused (${c.indeterminateWrites} unanswered)`;
  const passed = c.failedProbes === 0 && c.refusedWrites === 0 && c.probes > 0 && c.ackedWrites > 0;
  return {
    name: 'client-impact',
    objective: 'no client impact: no failed probe, no refused write',
    measured,
    passed,
    message: passed
      ? `no client impact for ${subject}: ${measured}`
      : c.probes === 0 || c.ackedWrites === 0
        ? `no traffic observed for ${subject}: nothing to measure the impact on`
        : `clients were affected for ${subject}: ${measured}${c.firstFailure ? `; first: ${c.firstFailure.what}` : ''}`,
  };
}

/**
 * Slack on the shipping bound: a segment is closed by archive_timeout, then copied by the archiver (and the
 * last write it holds was acknowledged a write interval before); on a busy machine that takes up to about 1 s.
 */
export const SHIPPING_SLACK_MS = 1000;

/**
 * Two sites, the DR database fed by shipped WAL: the acknowledged writes lost with the primary site may reach
 * back no further than `archive_timeout` (plus the slack) before t_f, since every segment older than that had
 * been closed and shipped. With streaming as well the same bound holds, and the loss is normally none.
 */
export function shippingCriterion(subject: string, s: ShippingMeasurement): Criterion {
  const bound = s.archiveTimeoutMs + SHIPPING_SLACK_MS;
  const last = s.lastWal
    ? `last segment ${s.lastWal.name} shipped ${formatDuration(s.lastWal.ageMs)} before the fault`
    : 'no segment shipped before the fault';
  const measured = `loss window ${formatDuration(s.lossWindowMs)}, ${s.lostWrites.length} acked writes lost; ${last}`;
  const passed = s.lossWindowMs <= bound;
  return {
    name: 'shipping',
    objective: `loss window <= archive_timeout ${formatDuration(s.archiveTimeoutMs)} + ${formatDuration(SHIPPING_SLACK_MS)}`,
    measured,
    passed,
    message: passed
      ? `loss window ${formatDuration(s.lossWindowMs)} within the WAL shipping's ${formatDuration(bound)} for ${subject} (${last})`
      : `loss window ${formatDuration(s.lossWindowMs)} exceeded the WAL shipping's ${formatDuration(bound)} for ${subject} (${last}): the DR database did not get every shipped segment`,
  };
}

/** The alerts of a drill with monitoring: every problem the watcher measured fails it, naming the rule. */
export function alertsCriterion(drillId: string, m: AlertsMeasurement): Criterion {
  const problems = alertProblems(m);
  const fired = m.alerts.filter((a) => a.firedAtMs !== undefined).length;
  const expected = m.alerts.filter((a) => a.expected).length;
  const quiet = m.alerts.filter((a) => a.expectation === 'must-not-page').map((a) => a.name);
  const ok = [
    ...(expected ? ['every expected alert fired, was notified as routed and resolved'] : []),
    ...(quiet.length
      ? [`${quiet.join(', ')} paged nobody, as an outage shorter than their \`for\` must`]
      : []),
  ];
  return {
    name: 'alerts',
    objective: `expected alerts fire, reach their receivers and resolve${quiet.length ? `; ${quiet.join(', ')} must not page` : ''}; none in the steady state (time scale 1/${m.scale})`,
    measured: `${fired} fired (${expected} expected), ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
    passed: problems.length === 0,
    message: problems.length
      ? `alerts of "${drillId}": ${problems.join('; ')}`
      : `alerts of "${drillId}": ${ok.join('; ') || 'no alert fired in the steady state'}`,
  };
}
