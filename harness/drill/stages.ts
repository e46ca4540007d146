/**
 * A composite exercise: several scenarios, one after another, on one estate, as one timeline. Each stage runs
 * the phases of a drill (prepare, steady, fault, procedure, recovery, after, measure) through the same phase
 * functions as any drill, on a run of its own that shares the exercise's estate, clock, abort signal, teardown
 * stack and runbook values; its events are its own (so its RTO and RPO are measured from its own traffic and
 * canaries, against its own t_f) and join the exercise's timeline between the stage's boundaries. A stage
 * that fails or does not complete ends the exercise: every later stage starts from what the earlier ones
 * left, so it would drill a state nobody planned.
 */
import { describe } from '../core/errors.ts';
import type { PhaseName, StageEvent } from '../measure/timeline.ts';
import { drillStatus, type StageRecord } from '../record/record.ts';
import type { DrillDefinition } from './define.ts';
import type { DrillRun } from './drill-run.ts';
import {
  after,
  injectFault,
  measure,
  prepare,
  procedure,
  recovery,
  steady,
  stopObservers,
} from './phases.ts';

/** Run one phase of a run, on its timeline (the runner's `phase`). */
export type PhaseRunner = <T>(
  run: DrillRun,
  name: PhaseName,
  body: (run: DrillRun) => Promise<T> | T,
) => Promise<T>;

/** The run of one stage, made by the runner from the exercise's run (see `runStages`). */
export type StageRunFactory = (stage: DrillDefinition, index: number) => DrillRun;

/**
 * Run every stage of the exercise in order. The exercise's criteria become every stage's criteria (the plan
 * verdict), its checks theirs; an abort or a harness error is rethrown after the stage is recorded, so the
 * runner records it and tears the one estate down as for any drill.
 */
export async function runStages(
  run: DrillRun,
  stages: readonly DrillDefinition[],
  phase: PhaseRunner,
  stageRun: StageRunFactory,
): Promise<void> {
  const records: StageRecord[] = [];
  run.record.stages = records;
  try {
    for (const [i, def] of stages.entries()) {
      const ok = await runStage(run, def, i + 1, phase, stageRun(def, i + 1), records);
      if (!ok) {
        const left = stages.slice(i + 1).map((s) => s.id);
        if (left.length)
          run.note(`exercise stopped after stage ${i + 1} (${def.id}); not run: ${left.join(', ')}`);
        break;
      }
    }
  } finally {
    // The stages an earlier failure or an abort left unrun are listed too: the plan's verdict covers them all.
    const now = run.clock.now();
    for (const [i, def] of stages.entries()) {
      if (i < records.length) continue;
      records.push({
        id: def.id,
        index: i + 1,
        title: def.title,
        quarter: def.quarter,
        runbookSection: def.runbookSection,
        t: now,
        end: now,
        objectives: {},
        objectiveSources: {},
        criteria: [],
        notRun: true,
      });
    }
    run.record.criteria = records.flatMap((s) => s.criteria);
    // One timeline: the stages' events among the exercise's own, in the order they happened.
    run.timeline.sort((a, b) => a.t - b.t);
  }
}

async function runStage(
  run: DrillRun,
  def: DrillDefinition,
  index: number,
  phase: PhaseRunner,
  sub: DrillRun,
  records: StageRecord[],
): Promise<boolean> {
  const ev: StageEvent = { kind: 'stage', id: def.id, index, title: def.title, t: run.clock.now() };
  run.timeline.push(ev);
  run.progress({ drillId: run.def.id, kind: 'note', message: `stage ${index}: ${def.id} (${def.quarter})` });
  let error: string | undefined;
  try {
    if (def.view && sub.estate) sub.estate = await def.view(sub.estate);
    if (def.prepare && !(await phase(sub, 'prepare', prepare))) {
      sub.record.criteria = [...sub.stepFailures];
      return false;
    }
    await phase(sub, 'steady', steady);
    if (def.fault) await phase(sub, 'fault', injectFault);
    await phase(sub, 'procedure', procedure);
    if (sub.procedureOk && sub.record.faultAt !== undefined) await phase(sub, 'recovery', recovery);
    await phase(sub, 'after', after);
    await phase(sub, 'measure', measure);
    return drillStatus(sub.record) === 'passed';
  } catch (e) {
    error = describe(e);
    run.phase = sub.phase;
    throw e;
  } finally {
    await stopObservers(sub);
    await sub.switchCheck;
    run.dbRole = sub.dbRole;
    run.timeline.push(...sub.timeline);
    run.record.checks.push(...sub.record.checks);
    Object.assign(ev, {
      end: run.clock.now(),
      ok: error === undefined && drillStatus(sub.record) === 'passed',
    });
    records.push(stageRecord(sub, index, ev, error));
  }
}

function stageRecord(sub: DrillRun, index: number, ev: StageEvent, error: string | undefined): StageRecord {
  const r = sub.record;
  return {
    id: r.drill.id,
    index,
    title: r.drill.title,
    quarter: r.drill.quarter,
    runbookSection: r.drill.runbookSection,
    t: ev.t,
    end: ev.end ?? ev.t,
    ...(r.faultAt !== undefined ? { faultAt: r.faultAt } : {}),
    objectives: r.objectives,
    objectiveSources: r.objectiveSources,
    ...(r.measurements ? { measurements: r.measurements } : {}),
    criteria: r.criteria,
    ...(error !== undefined ? { error } : {}),
  };
}
