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
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blocking } from '../../harness/estate/backend.ts';
import { labelledProcesses } from '../../harness/estate/host/leaks.ts';
import { KUBELET_SYSCTLS } from '../../harness/estate/kube/host-changes.ts';
import { kubeBackend } from '../../harness/estate/kube/index.ts';
import { KUBE_RUN_BASE } from '../../harness/estate/kube/paths.ts';
import { kubeApi } from '../../harness/estate/kube/api.ts';
import { contextRecords } from '../../harness/estate/kube/context.ts';
import { startOfflineCluster } from '../../harness/estate/kube/offline-source.ts';
import { dockerImages } from '../../harness/estate/docker/checks.ts';
import { appImage } from '../../harness/estate/docker/images.ts';
import { newRunId } from '../../harness/core/session.ts';
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

/** This machine's address on its default route (its primary interface), else its first non-loopback IPv4. */
function primaryAddress(): string {
  let route = '';
  try {
    route = execFileSync('ip', ['-4', 'route', 'get', '1.1.1.1'], { encoding: 'utf8' });
  } catch {
    // no default route: take an interface's address
  }
  const src = /\bsrc (\d+\.\d+\.\d+\.\d+)/.exec(route)?.[1];
  if (src) return src;
  const addr = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
  if (!addr) throw new Error('this machine has no non-loopback IPv4 address');
  return addr;
}

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

/** What a refused run could have started: offline cluster state directories and namespace records. */
const started = () => [
  ...(existsSync(KUBE_RUN_BASE) ? readdirSync(KUBE_RUN_BASE) : []),
  ...contextRecords().map((r) => r.file),
];

describe('an existing cluster is used only when named twice, the same way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drill-kubeconfig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'lab', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'lab', user: { token: 'x' } }],
      contexts: [{ name: 'lab', context: { cluster: 'lab', user: 'lab' } }],
      'current-context': 'lab',
    }),
  );
  const cases: [string, string[], RegExp][] = [
    ['only --kube-context', ['--kube-context', 'lab'], /--kube-context lab needs --allow-context lab too/],
    ['only --allow-context', ['--allow-context', 'lab'], /--allow-context lab needs --kube-context lab too/],
    ['two different names', ['--kube-context', 'lab', '--allow-context', 'prod'], /name different contexts/],
    [
      'a context the kubeconfig does not have',
      ['--kube-context', 'staging', '--allow-context', 'staging'],
      /--kube-context staging: no such context in .*config/,
    ],
    [
      'another backend',
      ['--kube-context', 'lab', '--allow-context', 'lab', '--backend', 'docker'],
      /--kube-context applies to --backend kube, not 'docker'/,
    ],
  ];
  for (const [what, flags, message] of cases)
    it(`refuses ${what}: exit 2, one line, nothing started`, async () => {
      const before = started();
      const res = await drill(['run', 'k8s-pod-kill', ...flags, '--report-dir', tempReportDir()], {
        env: { KUBECONFIG: kubeconfig },
      });
      expect(res.code, res.stdout + res.stderr).toBe(2);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(message);
      expect(res.stdout).toBe('');
      expect(started()).toEqual(before);
    });
});

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
    "runs Q1 on Kubernetes with the node's databases on this machine's primary address, not loopback: kill -9 of the primary pod, promotion through kubectl exec, RTO and RPO from traffic",
    { timeout: 600_000 },
    async () => {
      // The databases listen on the node's address alone (DRILL_KUBE_NODE_ADDRESS): every part that reaches
      // them (the harness, the router's routes, the standby's stream, blocks on the host and in the pods) must
      // follow the cluster's address, as it must on a kind node; one still aiming at 127.0.0.1 fails the drill.
      const address = primaryAddress();
      const res = await drill(
        ['run', 'q1-db-failover-k8s', '--backend', 'kube', '--report-dir', tempReportDir()],
        { env: { DRILL_KUBE_NODE_ADDRESS: address } },
      );
      expect(res.code, res.stdout + res.stderr).toBe(0);
      const dir = reportDirOf(res.stdout);
      const summary = readSummary(dir);
      expect(summary.drills.map((d) => [d.id, d.status])).toEqual([['q1-db-failover-k8s', 'passed']]);
      const q1 = recordOf(dir, 'q1-db-failover-k8s');
      const notes = q1.timeline
        .filter((e) => e.kind === 'note')
        .map((e) => (e as { message: string }).message);
      expect(notes).toContain(`database pods on node drillbook-node, reached at ${address}`);
      expect(notes.find((n) => n.startsWith('postgres-primary up in pod'))).toMatch(
        new RegExp(`\\(${address.replace(/\./g, '\\.')}:\\d+\\)$`),
      );
      const fault = ofKind(q1.timeline, 'fault').find((f) => f.state === 'injected');
      expect(fault?.detail).toMatch(/^pid \d+$/);
      const steps = ofKind(q1.timeline, 'step');
      expect(steps.find((s) => /through kubectl exec/.test(s.name))?.detail).toMatch(
        /promoted: accepts writes$/,
      );
      expect(steps.at(-1)?.detail).toMatch(/^order \d+ acknowledged .* found on postgres-standby/);
      const rto = q1.measurements?.rto;
      expect(rto?.status).toBe('recovered');
      expect(q1.measurements?.rpo?.ackedWrites).toBeGreaterThan(0);
      console.info(
        `q1-db-failover-k8s: rto ${rto?.status === 'recovered' ? `${Math.round(rto.rtoMs)} ms` : 'n/a'}, ` +
          `lost writes ${q1.measurements?.rpo?.lostAckedWrites} of ${q1.measurements?.rpo?.ackedWrites}, drill ${Math.round(q1.durationMs / 1000)} s`,
      );
      expect(leftOfCluster(summary.runId)).toEqual([]);
    },
  );

  it(
    'works in an existing cluster named twice: only in a namespace it creates and labels, deleted at teardown',
    { timeout: 600_000 },
    async () => {
      // "An existing cluster": the offline cluster, started here as its owner would, with its kubeconfig
      // rewritten under another context name, and a decoy context made current (drillbook must not use it).
      const ownerRun = newRunId();
      const cluster = await startOfflineCluster(ownerRun, 'existing-cluster', process.env, 180_000);
      const dir = mkdtempSync(join(tmpdir(), 'drill-existing-'));
      try {
        const images = await dockerImages();
        await cluster.loadImages([
          images.postgres,
          images.redis,
          appImage(images, 'v1'),
          appImage(images, 'v2'),
        ]);
        const owner = await kubeApi(cluster.kubeconfig);
        const original = JSON.parse(readFileSync(cluster.kubeconfig, 'utf8')) as {
          clusters: { name: string; cluster: Record<string, string> }[];
          users: { name: string; user: Record<string, string> }[];
        };
        const kubeconfig = join(dir, 'config');
        writeFileSync(
          kubeconfig,
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Config',
            clusters: [
              { name: 'lab', cluster: original.clusters[0]?.cluster },
              { name: 'decoy', cluster: { server: 'https://127.0.0.1:1' } },
            ],
            users: [{ name: 'lab-admin', user: original.users[0]?.user }],
            contexts: [
              { name: 'lab-existing', context: { cluster: 'lab', user: 'lab-admin' } },
              { name: 'decoy', context: { cluster: 'decoy', user: 'lab-admin' } },
            ],
            'current-context': 'decoy',
          }),
          { mode: 0o600 },
        );
        // Something of someone else's in the cluster, which must stay untouched.
        await owner.core.createNamespace({ body: { metadata: { name: 'bystander' } } });
        const cm = await owner.core.createNamespacedConfigMap({
          namespace: 'bystander',
          body: { metadata: { name: 'keep-me' }, data: { a: 'b' } },
        });
        const snapshot = async () => {
          const nss = (await owner.core.listNamespace()).items.map((n) => n.metadata?.name ?? '');
          const pods = (await owner.core.listPodForAllNamespaces()).items.map(
            (p) => `${p.metadata?.namespace}/${p.metadata?.name}`,
          );
          const cms = (await owner.core.listConfigMapForAllNamespaces()).items.map(
            (c) => `${c.metadata?.namespace}/${c.metadata?.name}@${c.metadata?.resourceVersion}`,
          );
          return { nss: nss.sort(), pods: pods.sort(), cms: cms.sort() };
        };
        // The controller manager publishes kube-root-ca.crt into every namespace on its own schedule (a cluster
        // just started may not have done so yet): wait for it, so the snapshot holds only what is settled.
        const settled = async () => {
          const nss = (await owner.core.listNamespace()).items.map((n) => n.metadata?.name ?? '');
          const cas = (
            await owner.core.listConfigMapForAllNamespaces({
              fieldSelector: 'metadata.name=kube-root-ca.crt',
            })
          ).items.map((c) => c.metadata?.namespace);
          return nss.every((n) => cas.includes(n));
        };
        for (let i = 0; i < 300 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 100));
        expect(await settled()).toBe(true);
        const before = await snapshot();
        const seen = new Map<string, Record<string, string>>();
        const watching = setInterval(() => {
          void owner.core
            .listNamespace({ labelSelector: 'drillbook.run-id' })
            .then((l) => {
              for (const n of l.items) seen.set(n.metadata?.name ?? '', n.metadata?.labels ?? {});
            })
            .catch(() => undefined);
        }, 1000);
        let res;
        try {
          res = await drill(
            [
              'run',
              'k8s-pod-kill',
              '--kube-context',
              'lab-existing',
              '--allow-context',
              'lab-existing',
              '--report-dir',
              tempReportDir(),
            ],
            { env: { KUBECONFIG: kubeconfig } },
          );
        } finally {
          clearInterval(watching);
        }
        expect(res.code, res.stdout + res.stderr).toBe(0);
        const out = reportDirOf(res.stdout);
        const summary = readSummary(out);
        expect(summary.backend).toBe('kube');
        const record = recordOf(out, 'k8s-pod-kill');
        const notes = record.timeline
          .filter((e) => e.kind === 'note')
          .map((e) => (e as { message: string }).message);
        expect(notes).toContain(
          'cluster source: existing (context lab-existing, named by --kube-context and --allow-context (a namespace of the run only))',
        );
        // The namespace was there during the run, labelled with the run id, and is gone.
        const namespace = `drillbook-${summary.runId.toLowerCase()}-k8s-pod-kill`;
        expect(seen.get(namespace)?.['drillbook.run-id']).toBe(summary.runId);
        expect([...seen.keys()]).toEqual([namespace]);
        // Nothing else touched: the same namespaces, pods and config maps (same versions) as before.
        expect(await snapshot()).toEqual(before);
        const kept = await owner.core.readNamespacedConfigMap({ namespace: 'bystander', name: 'keep-me' });
        expect(kept.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
        expect(contextRecords().filter((r) => r.runId === summary.runId)).toEqual([]);
        expect(leftOfCluster(summary.runId)).toEqual([]);

        // A run killed in the middle leaves its namespace; `drill cleanup` finds it by its label and deletes it.
        let killedRun: string | undefined;
        let killed = false;
        const k = await drill(
          ['run', 'k8s-pod-kill', '--kube-context', 'lab-existing', '--allow-context', 'lab-existing'],
          {
            env: { KUBECONFIG: kubeconfig, DRILL_PROGRESS: '1' },
            onStdout(text, child) {
              killedRun ??= /drill run (\S+):/.exec(text)?.[1];
              if (!killed && /steady\s+…/.test(text)) {
                killed = true;
                child.kill('SIGKILL');
              }
            },
          },
        );
        expect(k.code, k.stdout + k.stderr).toBe(null);
        const left = `drillbook-${(killedRun ?? '?').toLowerCase()}-k8s-pod-kill`;
        const labelled = await owner.core.listNamespace({
          labelSelector: `drillbook.run-id=${killedRun ?? '?'}`,
        });
        expect(labelled.items.map((n) => n.metadata?.name)).toEqual([left]);
        const cleanup = await drill(['cleanup', '--run', killedRun ?? '?'], {
          env: { KUBECONFIG: kubeconfig },
        });
        expect(cleanup.code, cleanup.stdout + cleanup.stderr).toBe(0);
        expect(cleanup.stdout).toContain(
          `deleted namespace ${left} of context lab-existing (run ${killedRun ?? ''})`,
        );
        expect(
          (await owner.core.listNamespace({ labelSelector: 'drillbook.run-id' })).items.map(
            (n) => n.metadata?.name,
          ),
        ).toEqual([]);
        expect(contextRecords().filter((r) => r.runId === killedRun)).toEqual([]);
        const still = await owner.core.readNamespacedConfigMap({ namespace: 'bystander', name: 'keep-me' });
        expect(still.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
      } finally {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      expect(leftOfCluster(ownerRun)).toEqual([]);
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
