/**
 * Calibration: does drillbook measure an outage of known length correctly? The app is stopped, stays down for a
 * fixed 2 s, and is restarted; the measured RTO must lie between the moment the restart began and the moment it
 * finished plus one probe interval (the measurement's resolution).
 */
import { projectSystem } from '../cli.ts';
import { describe, expect, it } from 'vitest';
import { newRunId } from '../../harness/core/session.ts';
import { defineDrill } from '../../harness/drill/define.ts';
import { drillStatus } from '../../harness/record/record.ts';
import { runDrill } from '../../harness/drill/runner.ts';
import { Fault } from '../../harness/faults/fault.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import { Step } from '../../harness/runbook/steps/index.ts';

const calibration = defineDrill({
  id: 'calibration-app-outage',
  title: 'Calibration: app stopped for a known time',
  quarter: 'Q1',
  description: 'The app is stopped, held down for 2 s, then restarted.',
  runbookSection: 'none (calibration of the measurement itself)',
  objectives: { rto: '1m' },
  estate: { postgres: { standby: false, replication: 'async' }, redis: false, app: { version: 'v1' } },
  fault: (estate) => Fault.stop(estate.app, { restartOnRevert: true }),
  procedure: (estate) => [Step.wait('2s', 'the known outage'), Step.restart(estate.app)],
});

describe('calibration', () => {
  it('measures an outage of known length within one probe interval plus the restart time', async () => {
    const record = await runDrill(calibration, {
      runId: newRunId(),
      backend: 'local',
      system: projectSystem(),
    });
    expect(record.error).toBeUndefined();
    expect(drillStatus(record)).toBe('passed');
    const rto = record.measurements?.rto;
    if (rto?.status !== 'recovered') throw new Error(`not recovered: ${JSON.stringify(rto)}`);
    const tf = record.faultAt ?? NaN;
    const [hold, restart] = ofKind(record.timeline, 'step');
    if (!hold || !restart) throw new Error('steps missing');
    expect(hold.end - hold.t).toBeGreaterThanOrEqual(2000);
    const interval = record.settings.probeIntervalMs;
    // Nothing can answer before the restart began; everything answers within one interval of it finishing.
    expect(rto.rtoMs).toBeGreaterThanOrEqual(restart.t - tf);
    expect(rto.rtoMs).toBeLessThanOrEqual(restart.end - tf + interval + 25);
    expect(rto.outage).toBe(true);
    expect(rto.resolutionMs).toBe(interval);
  });
});
