import { chmodSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UsageError } from '../../core/errors.ts';
import { containerMainPids } from './container-pids.ts';
import { contextFromFlags, kubeconfigFiles, requireContext, writeRunKubeconfig } from './context.ts';
import { nodeOnThisMachine } from './existing-source.ts';
import {
  KIND_CONFIG,
  kindClusterName,
  kindCommands,
  kindConfigFor,
  pickDbNode,
  startKindCluster,
} from './kind-source.ts';
import { kindRecords, sweepKindClusters, writeKindRecord } from './kind-records.ts';
import { offlineNodeAddress } from './offline-source.ts';
import { chooseClusterSource } from './sources.ts';

describe('cluster source selection', () => {
  it('takes an existing context only when named, before kind and the offline cluster', () => {
    expect(chooseClusterSource({ context: 'prod', kind: '/usr/bin/kind' }).source).toBe('existing');
    expect(chooseClusterSource({ context: 'prod', kind: '/usr/bin/kind', forced: 'offline' }).source).toBe(
      'existing',
    );
    expect(chooseClusterSource({ context: 'prod' }).why).toMatch(/context prod, named by --kube-context/);
  });
  it('takes kind first, where kind is on PATH and a Docker engine answers', () => {
    const c = chooseClusterSource({ kind: '/usr/local/bin/kind' });
    expect(c.source).toBe('kind');
    expect(c.why).toBe('kind at /usr/local/bin/kind and a Docker engine answering: a kind cluster per run');
    expect(chooseClusterSource({ kind: '/usr/local/bin/kind', forced: 'kind' }).why).toMatch(
      /answering \(DRILL_CLUSTER_SOURCE=kind\)/,
    );
  });
  it('takes the offline cluster when DRILL_CLUSTER_SOURCE=offline forces it, even with kind there', () => {
    const c = chooseClusterSource({ kind: '/usr/local/bin/kind', forced: 'offline' });
    expect(c).toEqual({
      source: 'offline',
      why: 'DRILL_CLUSTER_SOURCE=offline: the offline single-node cluster from `drill cluster build`',
    });
  });
  it('falls back to the offline cluster, saying why', () => {
    const none = chooseClusterSource({});
    expect(none.source).toBe('offline');
    expect(none.why).toMatch(/^kind is not on PATH: the offline single-node cluster/);
    const noEngine = chooseClusterSource({
      kind: '/usr/bin/kind',
      engineProblem: 'no Docker engine reachable',
    });
    expect(noEngine.source).toBe('offline');
    expect(noEngine.why).toMatch(
      /^kind at \/usr\/bin\/kind has no Docker engine \(no Docker engine reachable\)/,
    );
    expect(chooseClusterSource({ forced: 'kind' }).why).toMatch(
      /^DRILL_CLUSTER_SOURCE=kind, but kind is not on PATH/,
    );
  });
  it('refuses another DRILL_CLUSTER_SOURCE (exit 2)', () => {
    expect(() => chooseClusterSource({ forced: 'knd' })).toThrow(UsageError);
    expect(() => chooseClusterSource({ forced: 'knd' })).toThrow(
      /^DRILL_CLUSTER_SOURCE=knd: expected kind or offline$/,
    );
  });
});

describe("the offline node's address", () => {
  const local = new Set(['127.0.0.1', '192.0.2.10']);
  it('is 127.0.0.1 unless DRILL_KUBE_NODE_ADDRESS names an address of this machine', () => {
    expect(offlineNodeAddress({}, local)).toBe('127.0.0.1');
    expect(offlineNodeAddress({ DRILL_KUBE_NODE_ADDRESS: '192.0.2.10' }, local)).toBe('192.0.2.10');
  });
  it("refuses an address that is not this machine's (exit 2)", () => {
    expect(() => offlineNodeAddress({ DRILL_KUBE_NODE_ADDRESS: '198.51.100.1' }, local)).toThrow(UsageError);
    expect(() => offlineNodeAddress({ DRILL_KUBE_NODE_ADDRESS: 'eth0' }, local)).toThrow(
      /^DRILL_KUBE_NODE_ADDRESS=eth0: not an IPv4 address of this machine \(127\.0\.0\.1, 192\.0\.2\.10\)$/,
    );
  });
});

describe('--kube-context and --allow-context', () => {
  it('need each other and the same name', () => {
    expect(contextFromFlags({})).toBeUndefined();
    expect(contextFromFlags({ kubeContext: 'lab', allowContext: 'lab' })).toBe('lab');
    expect(() => contextFromFlags({ kubeContext: 'lab' })).toThrow(
      /--kube-context lab needs --allow-context lab too/,
    );
    expect(() => contextFromFlags({ allowContext: 'lab' })).toThrow(
      /--allow-context lab needs --kube-context/,
    );
    expect(() => contextFromFlags({ kubeContext: 'lab', allowContext: 'prod' })).toThrow(UsageError);
    expect(() => contextFromFlags({ kubeContext: 'lab', allowContext: 'prod' })).toThrow(
      /name different contexts/,
    );
  });

  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'lab', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': 'ca.crt' } },
        { name: 'prod', cluster: { server: 'https://prod.example:6443' } },
      ],
      users: [
        { name: 'lab-user', user: { token: 'lab-token' } },
        { name: 'prod-user', user: { token: 'prod-token' } },
      ],
      contexts: [
        { name: 'lab', context: { cluster: 'lab', user: 'lab-user' } },
        { name: 'prod', context: { cluster: 'prod', user: 'prod-user' } },
      ],
      'current-context': 'prod',
    }),
  );
  const env = { KUBECONFIG: file, HOME: dir };

  it('reads the kubeconfig kubectl would read', () => {
    expect(kubeconfigFiles({ HOME: '/home/x' })).toEqual(['/home/x/.kube/config']);
    expect(kubeconfigFiles({ KUBECONFIG: `${file}:/other` })).toEqual([file, '/other']);
  });

  it('refuses a context the kubeconfig does not have (exit 2)', async () => {
    await expect(requireContext('staging', env)).rejects.toThrow(UsageError);
    await expect(requireContext('staging', env)).rejects.toThrow(/no such context in .*config/);
    await expect(requireContext('lab', env)).resolves.toBe(file);
  });

  it('gives the run a kubeconfig holding that one context, current, and nothing of the others', async () => {
    const out = await writeRunKubeconfig('lab', env, join(dir, 'run-kubeconfig'));
    const text = readFileSync(out, 'utf8');
    const kc = parse(text) as {
      'current-context': string;
      contexts: { name: string }[];
      clusters: { cluster: Record<string, string> }[];
    };
    expect(kc['current-context']).toBe('lab');
    expect(kc.contexts.map((c) => c.name)).toEqual(['lab']);
    expect(text).not.toMatch(/prod/);
    // A relative certificate path is made absolute (the copy lives elsewhere).
    expect(kc.clusters[0]?.cluster['certificate-authority']).toBe(join(dir, 'ca.crt'));
  });
});

describe('an existing cluster', () => {
  it('is usable only through a node on this machine (its InternalIP one of ours)', () => {
    const nodes = [
      { name: 'far', addresses: [{ type: 'InternalIP', address: '192.0.2.7' }] },
      {
        name: 'here',
        addresses: [
          { type: 'Hostname', address: 'here' },
          { type: 'InternalIP', address: '10.213.5.1' },
        ],
      },
    ];
    expect(nodeOnThisMachine(nodes, new Set(['127.0.0.1', '10.213.5.1']))).toEqual({
      name: 'here',
      address: '10.213.5.1',
    });
    expect(nodeOnThisMachine(nodes.slice(0, 1), new Set(['127.0.0.1']))).toBeUndefined();
  });
  it('finds no process for a container that is not on this machine', () => {
    expect(containerMainPids('0'.repeat(64))).toEqual([]);
  });
});

describe('the kind source', () => {
  it('names one cluster per run and runs kind as documented', () => {
    const name = kindClusterName('20261129T143103Z-49AE1C');
    expect(name).toBe('drillbook-49ae1c');
    const c = kindCommands(name, KIND_CONFIG, '/run/x/kubeconfig');
    expect(c.create).toEqual([
      'kind',
      'create',
      'cluster',
      '--name',
      name,
      '--config',
      KIND_CONFIG,
      '--kubeconfig',
      '/run/x/kubeconfig',
      '--wait',
      '120s',
    ]);
    expect(c.load('drillbook/app:v1')).toEqual([
      'kind',
      'load',
      'docker-image',
      'drillbook/app:v1',
      '--name',
      name,
    ]);
    expect(c.delete).toEqual([
      'kind',
      'delete',
      'cluster',
      '--name',
      name,
      '--kubeconfig',
      '/run/x/kubeconfig',
    ]);
  });
  it("uses the repo's kind-config.yaml: API on 127.0.0.1, no fixed host port (clusters of runs side by side)", () => {
    const cfg = parse(readFileSync(KIND_CONFIG, 'utf8')) as {
      kind: string;
      apiVersion: string;
      networking: { apiServerAddress: string };
      nodes: { role: string; extraPortMappings?: unknown[] }[];
    };
    expect(cfg.kind).toBe('Cluster');
    expect(cfg.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(cfg.networking.apiServerAddress).toBe('127.0.0.1');
    expect(cfg.nodes.map((n) => n.role)).toContain('control-plane');
    expect(cfg.nodes.flatMap((n) => n.extraPortMappings ?? [])).toEqual([]);
  });
});

describe('the per-run kind config', () => {
  it("mounts the run directory into every node of the repo's config, at the same path", () => {
    const out = kindConfigFor(readFileSync(KIND_CONFIG, 'utf8'), ['/tmp/drill-run-x']);
    const cfg = parse(out) as {
      name: string;
      networking: { apiServerAddress: string };
      nodes: { role: string; labels?: Record<string, string>; extraMounts: unknown[] }[];
    };
    expect(cfg.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker']);
    for (const n of cfg.nodes)
      expect(n.extraMounts).toEqual([{ hostPath: '/tmp/drill-run-x', containerPath: '/tmp/drill-run-x' }]);
    // The rest of the repo's config is kept.
    expect(cfg.networking.apiServerAddress).toBe('127.0.0.1');
    expect(cfg.nodes[1]?.labels).toEqual({ 'drillbook.run/role': 'worker' });
  });
  it("keeps a node's own mounts and gives a config without nodes one control plane", () => {
    const base =
      'kind: Cluster\nnodes:\n  - role: worker\n    extraMounts:\n      - { hostPath: /data, containerPath: /data }\n';
    expect(
      (parse(kindConfigFor(base, ['/r'])) as { nodes: { extraMounts: unknown[] }[] }).nodes[0]?.extraMounts,
    ).toEqual([
      { hostPath: '/data', containerPath: '/data' },
      { hostPath: '/r', containerPath: '/r' },
    ]);
    expect(parse(kindConfigFor('kind: Cluster\n', ['/r']))).toEqual({
      kind: 'Cluster',
      nodes: [{ role: 'control-plane', extraMounts: [{ hostPath: '/r', containerPath: '/r' }] }],
    });
  });
  it('puts the databases on the first worker, else on the control plane', () => {
    expect(pickDbNode(['k-control-plane', 'k-worker', 'k-worker2'])).toBe('k-worker');
    expect(pickDbNode(['k-control-plane'])).toBe('k-control-plane');
    expect(pickDbNode([])).toBeUndefined();
  });
});

describe('the kind source, against a stub kind on PATH (kind itself is not run on these machines)', () => {
  it('creates the cluster from the per-run config, routes to the pods, finds the database node, deletes it all', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'kind-stub-'));
    const runDir = mkdtempSync(join(tmpdir(), 'kind-run-'));
    const log = join(bin, 'log');
    // One script answers as kind, docker, kubectl and ip would for a cluster of two nodes; it logs every call.
    const stub = join(bin, 'stub');
    writeFileSync(
      stub,
      `#!/bin/sh
echo "$(basename "$0") $*" >> ${log}
case "$(basename "$0") $*" in
  "kind get nodes"*) printf 'drillbook-49ae1c-control-plane\\ndrillbook-49ae1c-worker\\n' ;;
  "docker network inspect kind"*) echo '172.18.0.1 fc00:f853::1 ' ;;
  "docker inspect"*control-plane) echo 172.18.0.2 ;;
  "docker inspect"*worker) echo 172.18.0.3 ;;
  "kubectl "*control-plane*) printf 10.244.0.0/24 ;;
  "kubectl "*worker*) printf 10.244.1.0/24 ;;
  "docker exec drillbook-49ae1c-worker crictl"*) echo 4242 ;;
  "docker exec"*crictl*) exit 1 ;;
esac
`,
    );
    chmodSync(stub, 0o755);
    for (const name of ['kind', 'docker', 'kubectl', 'ip']) symlinkSync(stub, join(bin, name));
    const path = process.env.PATH;
    const cache = process.env.DRILL_KUBE_CACHE;
    process.env.PATH = `${bin}:${path ?? ''}`;
    process.env.DRILL_KUBE_CACHE = join(bin, 'cache');
    try {
      const kubeconfig = join(runDir, 'kubeconfig');
      const c = await startKindCluster('20261129T143103Z-49AE1C', runDir, kubeconfig);
      // While it exists, a record lets `drill cleanup` find the cluster and its routes.
      expect(kindRecords().map(({ runId, name, routes }) => ({ runId, name, routes }))).toEqual([
        {
          runId: '20261129T143103Z-49AE1C',
          name: 'drillbook-49ae1c',
          routes: [
            { cidr: '10.244.0.0/24', via: '172.18.0.2' },
            { cidr: '10.244.1.0/24', via: '172.18.0.3' },
          ],
        },
      ]);
      expect(c.source).toBe('kind');
      expect(c.hostAddress).toBe('172.18.0.1');
      expect(c.dbNode).toBe('drillbook-49ae1c-worker');
      expect(c.nodeAddress).toBe('172.18.0.3');
      expect(c.containerPid('c0ffee')).toBe(4242);
      await c.signalContainer('c0ffee', 'SIGKILL');
      expect(await c.stop()).toEqual([
        'removed route 10.244.0.0/24 via 172.18.0.2',
        'removed route 10.244.1.0/24 via 172.18.0.3',
        'deleted kind cluster drillbook-49ae1c',
      ]);
      expect(kindRecords()).toEqual([]);
      const config = join(runDir, 'kind-config.yaml');
      expect(
        (parse(readFileSync(config, 'utf8')) as { nodes: { extraMounts: unknown[] }[] }).nodes.map(
          (n) => n.extraMounts,
        ),
      ).toEqual([0, 1].map(() => [{ hostPath: runDir, containerPath: runDir }]));
      const fmt = '{{with index .NetworkSettings.Networks "kind"}}{{.IPAddress}}{{end}}';
      const cp = 'drillbook-49ae1c-control-plane';
      const w = 'drillbook-49ae1c-worker';
      const pod = (n: string) =>
        `kubectl --kubeconfig ${kubeconfig} get node ${n} --output jsonpath={.spec.podCIDR}`;
      expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
        `kind create cluster --name drillbook-49ae1c --config ${config} --kubeconfig ${kubeconfig} --wait 120s`,
        'docker network inspect kind --format {{range .IPAM.Config}}{{.Gateway}} {{end}}',
        'kind get nodes --name drillbook-49ae1c',
        `docker inspect --format ${fmt} ${cp}`,
        pod(cp),
        'ip route replace 10.244.0.0/24 via 172.18.0.2',
        `docker inspect --format ${fmt} ${w}`,
        pod(w),
        'ip route replace 10.244.1.0/24 via 172.18.0.3',
        `docker exec ${w} crictl inspect --output go-template --template {{.info.pid}} c0ffee`,
        expect.stringMatching(new RegExp(`^docker exec ${cp} sh -c .* signal c0ffee KILL$`)),
        expect.stringMatching(new RegExp(`^docker exec ${w} sh -c .* signal c0ffee KILL$`)),
        'ip route del 10.244.0.0/24 via 172.18.0.2',
        'ip route del 10.244.1.0/24 via 172.18.0.3',
        `kind delete cluster --name drillbook-49ae1c --kubeconfig ${kubeconfig}`,
      ]);

      // A killed run's cluster: `drill cleanup --run` removes its routes and deletes it, from the record.
      writeFileSync(log, '');
      writeKindRecord({
        runId: 'R1',
        name: 'drillbook-r1',
        routes: [{ cidr: '10.244.1.0/24', via: '172.18.0.3' }],
      });
      const lines: string[] = [];
      const sweep = { dryRun: false, force: false, log: (l: string) => lines.push(l) };
      expect(await sweepKindClusters({ ...sweep, runId: 'R1', active: new Set(['R1']) })).toBe(0);
      expect(lines).toEqual(['skip kind cluster drillbook-r1: run R1 still in progress; --force to remove']);
      expect(await sweepKindClusters({ ...sweep, runId: 'R1', active: new Set() })).toBe(1);
      expect(lines.slice(1)).toEqual([
        'removed route 10.244.1.0/24 via 172.18.0.3 (run R1)',
        'deleted kind cluster drillbook-r1 (run R1)',
      ]);
      expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
        'ip route del 10.244.1.0/24 via 172.18.0.3',
        'kind delete cluster --name drillbook-r1',
      ]);
      expect(kindRecords()).toEqual([]);
    } finally {
      process.env.PATH = path;
      if (cache === undefined) delete process.env.DRILL_KUBE_CACHE;
      else process.env.DRILL_KUBE_CACHE = cache;
    }
  });
});
