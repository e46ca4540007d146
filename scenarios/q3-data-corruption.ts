/**
 * Q3 drill: data corruption, point-in-time recovery.
 *
 * Source: the seed runbook's Disaster Recovery Plan (DR scenario 3, "Data corruption: point-in-time recovery";
 * quarterly drills, "Q3: Data corruption recovery (RPO < 1 hour)"); plan-wide RTO 4 h.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, "Base backup" (Phase 1), "DR scenario 3".
 * The data is the system's, as its config declares it (`data.markers`): marker rows written, their fingerprint
 * recorded, the corruption (an UPDATE without WHERE, `data.markers.corrupt`) run on the primary under live
 * traffic, and a read of one marker through the application as the clients' probe (`data.markers.probe`).
 * Recovery: base backup + archived WAL restored onto separate infrastructure, replayed to a time target
 * just before the corruption (the instant the incident timeline gives; see the runbook for why a time and
 * not an xid or a restore point), markers verified and corruption absent, then traffic switched.
 * Canary writes acknowledged after the corruption and before the switch are lost by construction, and the
 * report counts them ("lost after t_f").
 */
import { defineDrill, type DrillDefinition } from '../harness/drill/define.ts';
import { Fault } from '../harness/faults/fault.ts';
import type { IntegrityCheck } from '../harness/record/record.ts';
import type { Step as ProcedureStep } from '../harness/runbook/step.ts';
import { Step } from '../harness/runbook/steps/index.ts';
import { StepError } from '../harness/core/errors.ts';
import type { Estate } from '../harness/estate/types.ts';
import {
  checkConfigured,
  deploymentRunbook as rb,
  probeOf,
  recordConfigured,
  recorded,
  runConfigured,
  sqlOf,
} from './shared.ts';

const restored = (e: Estate) => e.spare('postgres-restored');

export interface Q3Options {
  /** For the refusal test: ask for a target this far after the corruption, beyond the archived WAL. */
  targetOffsetMs?: number;
}

export function q3DataCorruption(opts: Q3Options = {}): DrillDefinition {
  return defineDrill({
    id: 'q3-data-corruption',
    title: 'Data corruption: point-in-time recovery to just before the damage',
    quarter: 'Q3',
    description:
      'An UPDATE without WHERE corrupts every row on the primary while traffic runs. The runbook restores the ' +
      'base backup and archived WAL onto separate infrastructure up to the instant before the corruption, ' +
      'verifies marker rows and the absence of the damage, and switches traffic to the restored database.',
    runbookSection: 'Disaster Recovery Plan > DR scenarios > 3. Data corruption: point-in-time recovery',
    runbookDoc: rb,
    needs: ['spare-postgres'],
    runbookBlocks: ['backup-base', 'wal-switch', 'pitr-restore', 'pitr-switch'],
    objectives: { rto: '4h', rpo: '1h' },
    estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
    uses: ['data.markers'],
    probe: (s) => probeOf(s, 'data.markers.probe'),
    prepare: (e, s) => [
      runConfigured(
        'insert the marker rows (data.markers.insert)',
        s,
        'data.markers.insert',
        () => e.postgres.primary,
      ),
      recordConfigured('MARKERS_BEFORE', s, 'data.markers.fingerprint', () => e.postgres.primary),
      Step.block('backup-base'),
    ],
    fault: (e, s) =>
      Fault.corrupt(e.postgres.primary, sqlOf(s, 'data.markers.corrupt'), 'UPDATE without WHERE'),
    procedure: (_e, s) => [
      Step.block('wal-switch'),
      Step.spare('postgres-restored', 'RESTORE'),
      Step.block('pitr-restore', {
        env: (ctx) => ({ RECOVERY_TARGET_TIME: targetTime(ctx.faultAtIso, opts.targetOffsetMs ?? 0) }),
        capture: { RESTORE_TARGET: /^target: (.+)$/m, RESTORE_REACHED: /^reached: (.+)$/m },
      }),
      targetReached(),
      checkConfigured(
        'marker rows restored',
        s,
        'data.markers.fingerprint',
        restored,
        recorded('MARKERS_BEFORE'),
      ),
      checkConfigured('corruption absent', s, 'data.markers.corrupted', restored, () => '0'),
      Step.block('pitr-switch', {
        name: 'repoint db traffic to the restored server',
        expect: { stdout: /"to":"postgres-restored"/ },
      }),
      Step.verifyWrites(restored),
    ],
  });
}

/**
 * The restore target: t_f, shifted for the refusal test, written the way recovery_target_time accepts it
 * ('2026-11-27 16:42:03.561+00'; the ISO 'T…Z' form is refused by its parser).
 */
function targetTime(faultAtIso: string | undefined, offsetMs: number): string {
  if (!faultAtIso) throw new StepError('no fault time to recover to');
  return new Date(Date.parse(faultAtIso) + offsetMs).toISOString().replace('T', ' ').replace('Z', '+00');
}

/** The point recovery reached must not be after the target (and is recorded next to it). */
function targetReached(): ProcedureStep {
  return {
    name: 'check: restore point reached is before the target',
    verifies: true,
    run(ctx) {
      const target = ctx.vars.RESTORE_TARGET ?? '?';
      const reached = ctx.vars.RESTORE_REACHED ?? '?';
      const ok = pgTime(reached) <= pgTime(target);
      const c: IntegrityCheck = {
        name: 'restore target vs point reached',
        kind: 'restore-target',
        expected: `<= ${target}`,
        actual: reached,
        passed: ok,
      };
      if (!ok) {
        const why = `recovery replayed past its target: reached ${reached}, target ${target}`;
        return Promise.reject(new StepError(why, { checks: [c] }));
      }
      return Promise.resolve({ detail: `target ${target}, reached ${reached}`, checks: [c] });
    },
  };
}

export default q3DataCorruption();

/** Epoch ms of a Postgres timestamptz text ('2026-11-27 16:42:03.561+00'); NaN when it is not one. */
function pgTime(text: string): number {
  return Date.parse(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
}
