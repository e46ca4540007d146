/**
 * The monthly maintenance routine (seed runbook, Maintenance Operations > Monthly: SSL certificate check, resource
 * usage audit, security vulnerability scan) on a live estate under traffic, with zero client impact required.
 * Runbook exercised: fixtures/runbook/deployment-runbook.md, section 6 > Monthly (maint-cert-expiry,
 * maint-resource-audit, maint-dependency-report). The certificate is the estate's TLS endpoint's (a per-run
 * CA); the audit reads disk, connections and memory where the database runs; the dependency report states what
 * offline data it had (the lockfile; advisories only when a local advisory file is given).
 */
import { join } from 'node:path';
import { Step } from '../harness/runbook/steps/index.ts';
import { maintenanceDrill } from './maintenance.ts';

export default maintenanceDrill({
  id: 'maintenance-monthly',
  title: 'Monthly maintenance under traffic: certificate expiry, resource audit, dependency report',
  description:
    'The monthly routine on a live estate under traffic: days left on the served certificate, disk, connections ' +
    'and memory against their limits where the database runs, and the service’s dependencies with what is known ' +
    'offline of their vulnerabilities; with no failed probe and no refused write.',
  section: 'Maintenance Operations > Monthly',
  blocks: ['maint-cert-expiry', 'maint-resource-audit', 'maint-dependency-report'],
  prepare: () => [Step.tlsEndpoint('localhost')],
  procedure: () => [
    Step.block('maint-cert-expiry', {
      expect: { stdout: /^certificate of localhost valid until .*: 8\d days left$/m },
    }),
    Step.block('maint-resource-audit', {
      expect: { stdout: /^resource audit: disk \d+ %, connections \d+ %, memory \d+ %/m },
    }),
    Step.block('maint-dependency-report', {
      // The system's own source (its config file's directory): the lockfile the report reads.
      env: (ctx) => ({ APP_SOURCE_DIR: ctx.system?.dir ?? join(import.meta.dirname, '..') }),
      expect: { stdout: /^dependency report: \d+ packages in the lockfile/m },
    }),
  ],
});
