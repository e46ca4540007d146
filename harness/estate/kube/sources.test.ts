import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UsageError } from '../../core/errors.ts';
import { containerMainPids } from './container-pids.ts';
import { contextFromFlags, kubeconfigFiles, requireContext, writeRunKubeconfig } from './context.ts';
import { nodeOnThisMachine } from './existing-source.ts';
import { KIND_CONFIG, kindClusterName, kindCommands } from './kind-source.ts';
import { chooseClusterSource } from './sources.ts';

describe('cluster source selection', () => {
  it('takes an existing context only when named, before kind and the offline cluster', () => {
    expect(chooseClusterSource({ context: 'prod', kind: '/usr/bin/kind' }).source).toBe('existing');
    expect(chooseClusterSource({ context: 'prod' }).why).toMatch(/context prod, named by --kube-context/);
  });
  it('takes kind only when asked, with kind and a Docker engine there', () => {
    const unasked = chooseClusterSource({ kind: '/usr/local/bin/kind' });
    expect(unasked.source).toBe('offline');
    expect(unasked.why).toMatch(/is not used unless DRILL_CLUSTER_SOURCE=kind asks/);
    const c = chooseClusterSource({ kind: '/usr/local/bin/kind', kindAsked: true });
    expect(c.source).toBe('kind');
    expect(c.why).toMatch(/kind at \/usr\/local\/bin\/kind and a Docker engine/);
  });
  it('falls back to the offline cluster, saying why', () => {
    const none = chooseClusterSource({});
    expect(none.source).toBe('offline');
    expect(none.why).toMatch(/^kind is not on PATH/);
    const noEngine = chooseClusterSource({
      kind: '/usr/bin/kind',
      kindAsked: true,
      engineProblem: 'no Docker engine reachable',
    });
    expect(noEngine.source).toBe('offline');
    expect(noEngine.why).toMatch(/kind at \/usr\/bin\/kind but no Docker engine/);
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
