/**
 * A composite exercise's stages as every format shows them (report.md, report.html, summary.json): one row per
 * stage with its objectives, what its own traffic and canaries measured, and its verdict; then the plan's.
 */
import { formatDuration } from '../core/duration.ts';
import {
  drillStatus,
  stageStatus,
  type DrillRecord,
  type DrillStatus,
  type Quarter,
} from '../record/record.ts';

export interface StageRow {
  index: number;
  id: string;
  quarter: Quarter;
  title: string;
  runbookSection: string;
  /** `not run`: an earlier stage failed, and the exercise stopped there. */
  status: DrillStatus | 'not run';
  /** The stage's span relative to the exercise's start: `+4.72 s → +27.3 s`. */
  span: string;
  /** When its fault struck, relative to the exercise's start. */
  faultAt: string;
  rtoObjective: string;
  rtoMeasured: string;
  rpoObjective: string;
  rpoMeasured: string;
  /** `25 of 390` acknowledged writes lost (the stage's own canary). */
  lostAcked: string;
  /** The failed criteria's messages, or what stopped the stage. */
  findings: string[];
  /** Numbers for summary.json. */
  numbers: {
    t: number;
    end: number;
    faultAtMs?: number;
    rtoObjectiveMs?: number;
    rpoObjectiveMs?: number;
    rtoMs?: number;
    rpoMs?: number;
    ackedWrites?: number;
    lostAckedWrites?: number;
  };
}

export interface StagesView {
  rows: StageRow[];
  /** The plan-level verdict: every stage passed (and nothing was left behind). */
  verdict: DrillStatus;
  /** `4 of 4 stages passed`. */
  summary: string;
}

const dur = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));
const at = (ms: number) => `+${formatDuration(ms)}`;

export function stagesView(r: Pick<DrillRecord, 'stages' | 'criteria' | 'error'>): StagesView | undefined {
  const stages = r.stages;
  if (!stages) return undefined;
  const rows = stages.map((s): StageRow => {
    const rto = s.measurements?.rto;
    const rpo = s.measurements?.rpo;
    const rtoMs = rto?.status === 'recovered' ? rto.rtoMs : undefined;
    return {
      index: s.index,
      id: s.id,
      quarter: s.quarter,
      title: s.title,
      runbookSection: s.runbookSection,
      status: s.notRun ? 'not run' : stageStatus(s),
      span: s.notRun ? '—' : `${at(s.t)} → ${at(s.end)}`,
      faultAt: s.faultAt === undefined ? '—' : at(s.faultAt),
      rtoObjective: dur(s.objectives.rtoMs),
      rtoMeasured:
        rto === undefined
          ? '—'
          : rto.status === 'recovered'
            ? `${formatDuration(rto.rtoMs)}${rto.outage ? '' : ' (no outage)'}`
            : rto.status,
      rpoObjective: dur(s.objectives.rpoMs),
      rpoMeasured: rpo ? formatDuration(rpo.rpoMs) : '—',
      lostAcked: rpo ? `${rpo.lostAckedWrites} of ${rpo.ackedWrites}` : '—',
      findings: [
        ...(s.error ? [s.error] : []),
        ...s.criteria.filter((c) => !c.passed).map((c) => c.message),
        ...(s.criteria.length === 0 && !s.error && !s.notRun ? ['no criterion evaluated'] : []),
      ],
      numbers: {
        t: Math.round(s.t),
        end: Math.round(s.end),
        ...(s.faultAt !== undefined ? { faultAtMs: Math.round(s.faultAt) } : {}),
        ...(s.objectives.rtoMs !== undefined ? { rtoObjectiveMs: s.objectives.rtoMs } : {}),
        ...(s.objectives.rpoMs !== undefined ? { rpoObjectiveMs: s.objectives.rpoMs } : {}),
        ...(rtoMs !== undefined ? { rtoMs: Math.round(rtoMs) } : {}),
        ...(rpo
          ? {
              rpoMs: Math.round(rpo.rpoMs),
              ackedWrites: rpo.ackedWrites,
              lostAckedWrites: rpo.lostAckedWrites,
            }
          : {}),
      },
    };
  });
  const passed = rows.filter((s) => s.status === 'passed').length;
  return {
    rows,
    verdict: drillStatus(r),
    summary: `${passed} of ${rows.length} stages passed`,
  };
}
