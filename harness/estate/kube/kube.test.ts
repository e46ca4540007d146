import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from './exec-site.ts';
import { namespaceFor } from './kube-backend.ts';

describe('kube backend helpers', () => {
  it('names a namespace per drill, lower case, at most 63 characters, no trailing dash', () => {
    const ns = namespaceFor('20261129T120201Z-1dec44', 'q1-db-failover-lagging-sync-with-a-long-tail');
    expect(ns).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(ns.length).toBeLessThanOrEqual(63);
    expect(namespaceFor('20261129T120201Z-1dec44', 'k8s-pod-kill')).toBe(
      'drillbook-20261129t120201z-1dec44-k8s-pod-kill',
    );
  });

  it('quotes values for the block environment file so bash reads them back unchanged', () => {
    for (const v of ["it's", 'a b  c', '$HOME `id` "x"', 'line\nbreak', '']) {
      const out = execFileSync('bash', ['-c', `V=${shellQuote(v)}; printf %s "$V"`], { encoding: 'utf8' });
      expect(out).toBe(v);
    }
  });
});
