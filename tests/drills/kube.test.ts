/**
 * The kube backend, as a user drives it: `drill run k8s-rollout-undo k8s-pod-kill --backend kube`, then
 * `q1-db-failover-k8s`, on the offline single-node cluster (`drill cluster build` once), then SIGKILL in the middle of a run and
 * `drill cleanup`. Checked as a user would: exit codes, summary.json, the drill records (the ReplicaSet
 * revisions the runbook printed, the measurements), and the machine afterwards: no cluster process, no bridge,
 * no state directory, the sysctls kubelet changes back to what they were.
 *
 * Without the cluster's prerequisites (the binaries of `npx drill cluster build`, root, etcd, kubectl, the
 * images) these tests are skipped with the reason and how to get them, except under CI, where that fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blocking } from '../../harness/estate/backend.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { KUBELET_SYSCTLS } from '../../harness/estate/kube/host-changes.ts';
import { kubeBackend } from '../../harness/estate/kube/index.ts';
import { KUBE_RUN_BASE } from '../../harness/estate/kube/paths.ts';
import { ofKind } from '../../harness/measure/timeline.ts';
import type { DrillRecord } from '../../harness/record/record.ts';
import { drill, readSummary, reportDirOf, tempReportDir } from '../cli.ts';

const [missing] = blocking(await kubeBackend.prerequisites(process.env), ['kubernetes', 'standby']);
const problem = missing ? `${missing.what}: ${missing.detail}` : undefined;
if (problem && !process.env.CI) {
  console.warn(
    `skipping the kube drills: ${problem}. To run them (as root): ${missing?.remedy ?? ''}; ` +
      'the cluster binaries come from `npx drill cluster build` (once per machine), the images from ' +
      '`npx drill images build`.',
  );
}
const skip = Boolean(problem) && !process.env.CI;

const sysctls = () =>
  Object.fromEntries(KUBELET_SYSCTLS.map((s) => [s, readFileSync(`/proc/sys/${s}`, 'utf8').trim()]));

function recordOf(dir: string, id: string): DrillRecord {
  return JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as DrillRecord;
}

/** What of a run's offline cluster is still on the machine. */
function leftOfCluster(runId: string): string[] {
  const left = labelledProcesses(runId).map((p) => `process ${p.pid}`);
  if (existsSync(join(KUBE_RUN_BASE, runId))) left.push(`state ${join(KUBE_RUN_BASE, runId)}`);
  const links = execFileSync('ip', ['-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' });
  const bridge = `dbk${runId.slice(-6)}`;
  if (links.includes(`: ${bridge}:`)) left.push(`bridge ${bridge}`);
  return left;
}

describe.skipIf(skip)('the kube backend (offline single-node cluster)', () => {
  it('reports no missing prerequisite under CI', () => {
    expect(problem).toBeUndefined();
  });

  it(
    'runs k8s-rollout-undo and k8s-pod-kill, measures them, and leaves the host as it was',
    { timeout: 900_000 },
    async () => {
      const before = sysctls();
      const started = performance.now();
      const res = await drill([
        'run',
        'k8s-rollout-undo',
        'k8s-pod-kill',
        '--backend',
        'kube',
        '--report-dir',
        tempReportDir(),
      ]);
      const wallMs = performance.now() - started;
      expect(res.code, res.stdout + res.stderr).toBe(0);
      const dir = reportDirOf(res.stdout);
      const summary = readSummary(dir);
      expect(summary.backend).toBe('kube');
      expect(summary.drills.map((d) => [d.id, d.status])).toEqual([
        ['k8s-rollout-undo', 'passed'],
        ['k8s-pod-kill', 'passed'],
      ]);

      const undo = recordOf(dir, 'k8s-rollout-undo');
      const steps = ofKind(undo.timeline, 'step');
      const rollout = ofKind(undo.timeline, 'fault').find((f) => /k8s-deploy/.test(f.detail ?? ''));
      expect(rollout?.detail).toMatch(/rollout failed: \S+:v2 not rolled out within \d+s/);
      const before2 = steps.find((s) => s.name === 'ReplicaSet revisions before the rollback');
      const after = steps.find((s) => s.name === 'ReplicaSet revisions after the rollback');
      expect(before2?.output).toMatch(/REVISION/);
      expect(before2?.detail).toMatch(/at revision 2 running \S+:v2$/);
      expect(after?.detail).toMatch(/at revision 3 running \S+:v1$/);
      const decision = undo.checks.find((c) => c.name === 'rollback decision');
      // Whichever seed criterion triggered first: the cluster's health checks of v2, or live traffic.
      expect(decision?.actual).toMatch(/^(health-check|error-rate|latency): /);
      expect(undo.measurements?.rpo?.lostAckedWrites).toBe(0);
      console.info(
        `k8s-rollout-undo: rto ${undo.measurements?.rto?.status === 'recovered' ? `${undo.measurements.rto.rtoMs} ms` : 'n/a'}, ` +
          `lost writes ${undo.measurements?.rpo?.lostAckedWrites}, drill ${Math.round(undo.durationMs / 1000)} s; both drills ${Math.round(wallMs / 1000)} s`,
      );

      const kill = recordOf(dir, 'k8s-pod-kill');
      const healed = ofKind(kill.timeline, 'step').find((s) => /every replica ready/.test(s.name));
      expect(healed?.detail).toMatch(/healed: 2 of 2 pods ready/);
      expect(kill.measurements?.rpo?.lostAckedWrites).toBe(0);

      expect(leftOfCluster(summary.runId)).toEqual([]);
      expect(sysctls()).toEqual(before);
      expect(readdirSync(KUBE_RUN_BASE).filter((n) => n === summary.runId)).toEqual([]);
    },
  );

  it(
    '`drill cleanup` removes the cluster of a run that was SIGKILLed and restores the host',
    { timeout: 300_000 },
    async () => {
      const before = sysctls();
      let runId: string | undefined;
      let killed = false;
      const res = await drill(['run', 'k8s-pod-kill', '--backend', 'kube', '--report-dir', tempReportDir()], {
        env: { DRILL_PROGRESS: '1' },
        onStdout(out, child) {
          runId ??= /drill run (\S+):/.exec(out)?.[1];
          if (!killed && /steady\s+…/.test(out)) {
            killed = true;
            child.kill('SIGKILL');
          }
        },
      });
      expect(res.code).toBe(null);
      const id = runId ?? '?';
      expect(leftOfCluster(id).length).toBeGreaterThan(0);
      const cleanup = await drill(['cleanup', '--run', id]);
      expect(cleanup.code, cleanup.stdout + cleanup.stderr).toBe(0);
      expect(cleanup.stdout).toMatch(new RegExp(`removed bridge dbk${id.slice(-6)} \\(run ${id}\\)`));
      expect(leftOfCluster(id)).toEqual([]);
      expect(sysctls()).toEqual(before);
    },
  );
});
