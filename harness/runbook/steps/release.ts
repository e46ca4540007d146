/**
 * Steps of releases and time: decide on a rollback from live traffic, restart, wait. Deploying a release is a
 * runbook block (`deploy-release`, `docker-deploy`), never a harness step.
 */
import type { ProcessRole } from '../../estate/types.ts';
import { parseDuration, type DurationString } from '../../core/duration.ts';
import { delay, poll } from '../../core/poll.ts';
import { StepError } from '../../core/errors.ts';
import {
  rollbackDecision,
  SEED_ROLLBACK_CRITERIA,
  type RollbackCriteria,
  type RollbackDecision,
} from '../../measure/rollback.ts';
import type { IntegrityCheck } from '../../record/record.ts';
import type { Step, StepContext } from '../step.ts';

/**
 * Wait until live traffic since the fault meets one of the seed runbook's rollback decision criteria (health
 * check failing, error rate > 5 %, latency > 10 s), and record which one triggered, and when. A release that
 * meets none within the step's deadline is not rolled back: the step fails and says so.
 */
export function decideRollback(
  criteria: RollbackCriteria = SEED_ROLLBACK_CRITERIA,
  opts: {
    /**
     * Judge traffic from the fault (default), or only from when this step begins: "after a deployment", when
     * the rollout itself replaces the running instance and its brief gap is not the release's behaviour.
     */
    from?: 'fault' | 'step';
    /**
     * "Health checks failing" as the platform reports it (an orchestrator's readiness checks of the new
     * release), when the release never takes traffic: a reason (a step captured it) triggers the criterion;
     * live traffic is still judged and its numbers recorded beside it.
     */
    healthCheck?: (ctx: StepContext) => string | undefined;
  } = {},
): Step {
  return {
    name: 'evaluate the rollback decision criteria',
    source: 'Rollback Procedures > Rollback decision criteria',
    async run(ctx) {
      const faultAt = ctx.observe().faultAt ?? 0;
      const since = opts.from === 'step' ? ctx.observe().now : faultAt;
      let last: RollbackDecision | undefined;
      const d = await poll(
        () => {
          const { probes, writes } = ctx.observe();
          last = rollbackDecision(probes, writes, since, criteria);
          const health = last.triggered ? undefined : opts.healthCheck?.(ctx);
          if (health)
            last = { ...last, triggered: 'health-check', reason: `${health}; live traffic: ${last.reason}` };
          return last.triggered ? last : undefined;
        },
        {
          subject: 'a rollback criterion to trigger',
          timeoutMs: ctx.timeoutMs,
          intervalMs: 50,
          signal: ctx.signal,
        },
      ).catch(() => {
        throw new StepError(`no rollback criterion met: ${last?.reason ?? 'no traffic observed'}`);
      });
      const at = ctx.observe().now - faultAt;
      const c: IntegrityCheck = {
        name: 'rollback decision',
        kind: 'decision',
        expected: 'a seed criterion triggers (health check, error rate > 5 %, latency > 10 s)',
        actual: `${d.triggered ?? '?'}: ${d.reason}, ${Math.round(at)} ms after the rollout began`,
        passed: true,
      };
      return { detail: c.actual, checks: [c] };
    },
  };
}

/** Start a stopped role again and wait until it is ready. */
export function restart(role: ProcessRole): Step {
  return {
    name: `restart ${role.name}`,
    async run() {
      await role.restart();
      return { detail: `${role.name} running again (pid ${role.pid ?? '?'})` };
    },
  };
}

/**
 * Take a fixed time before the next step: the operator's time to decide, written down as part of the procedure.
 * It is the only time-based wait a scenario can ask for, and it is recorded like every other step.
 */
export function wait(duration: DurationString, reason: string): Step {
  const ms = parseDuration(duration, 'Step.wait');
  return {
    name: `wait ${duration}: ${reason}`,
    async run(ctx) {
      await delay(ms, ctx.signal);
    },
  };
}
