/**
 * The pre-deployment checklist as steps: the estate's TLS endpoint (a preparation), the checklist itself (every
 * `check=` block of the runbook under test, each an item of the record's checklist), and the gate a deployment
 * passes before its rollout starts.
 */
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../estate/host/project-root.ts';
import { StepError } from '../../core/errors.ts';
import { issueCert, makeRunCa, registerTlsFront, forgetTlsFront, TlsFront } from '../../estate/tls-front.ts';
import type { ChecklistItem } from '../../record/record.ts';
import {
  checklistEnv,
  checklistMonitoring,
  checklistOf,
  judgeCheck,
  type ChecklistOptions,
} from '../checklist.ts';
import { runBlock, siteFor } from '../execute.ts';
import type { RunbookBlock } from '../markdown.ts';
import type { Step } from '../step.ts';

const DAY = 86_400_000;

/**
 * Give the estate a TLS endpoint for the service name (`given`, else the config's `checklist.serviceName`): a CA made for the run, a certificate valid 90 days, and a TLS
 * terminator on 127.0.0.1 in front of the service route (stopped at teardown). Its address, the CA and the name
 * go to later steps as TLS_ENDPOINT, TLS_CA_FILE and SERVICE_NAME.
 */
export function tlsEndpoint(given?: string): Step {
  return {
    name: `TLS endpoint for ${given ?? 'the service name'} (per-run CA)`,
    async run(ctx) {
      const estate = ctx.estate;
      const serviceName = given ?? checklistOf(ctx.system).serviceName;
      const ca = await makeRunCa(join(estate.runDir, 'tls'), estate.runDir.split('/').at(-1) ?? 'run');
      const now = Date.now();
      const pair = await issueCert(ca, 'service', serviceName, {
        notBefore: new Date(now - 3_600_000),
        notAfter: new Date(now + 90 * DAY),
      });
      const app = new URL(estate.endpoints.app);
      const front = await new TlsFront(ca, serviceName, pair, {
        host: app.hostname,
        port: Number(app.port),
      }).start();
      registerTlsFront(estate, front);
      ctx.defer?.(`stop the TLS endpoint 127.0.0.1:${front.port}`, async () => {
        forgetTlsFront(estate);
        await front.stop();
      });
      Object.assign(ctx.vars, {
        TLS_ENDPOINT: `127.0.0.1:${front.port}`,
        TLS_CA_FILE: ca.caFile,
        SERVICE_NAME: serviceName,
      });
      return {
        detail: `https://${serviceName}:${front.port} → ${estate.endpoints.app}, certificate valid 90 days`,
      };
    },
  };
}

/** The `check=` blocks of a runbook, in document order. */
export function checkBlocks(blocks: Iterable<RunbookBlock>): (RunbookBlock & { check: string })[] {
  return [...blocks]
    .filter((b): b is RunbookBlock & { check: string } => b.check !== undefined)
    .sort((a, b) => a.line - b.line);
}

/**
 * Run every item of the checklist (the `check=` blocks of the runbook under test) against the estate, each at
 * its site with the estate's values, the declaration (`given`, else the config file's `checklist`) and the values
 * earlier steps recorded. A failed item
 * does not stop the others: the step records them all and hands the failed ones to the gate
 * (CHECKLIST_FAILED). It fails only when the checklist cannot run at all.
 */
export function checklist(given?: ChecklistOptions): Step {
  return {
    name: 'pre-deployment checklist',
    verifies: true,
    async run(ctx) {
      const doc = ctx.runbook;
      if (!doc) throw new StepError('the checklist needs a runbook document');
      const blocks = checkBlocks(doc.blocks.values());
      if (!blocks.length) throw new StepError(`${doc.path} has no check= blocks: no checklist to run`);
      // The declaration given, else the config file's; the monitoring it names, else the estate's.
      const opts = given ?? checklistOf(ctx.system);
      const monitoring = checklistMonitoring(opts.monitoring, ctx.estate.monitoring);
      const shell = ctx.estate.shell();
      const { env, secretValues } = checklistEnv(
        { ...opts, monitoring, gatesDir: opts.gatesDir ?? PROJECT_ROOT },
        shell.host.env,
        process.env,
      );
      const secrets = [...shell.secrets, ...secretValues];
      const deadline = Date.now() + ctx.timeoutMs;
      const items: ChecklistItem[] = [];
      for (const block of blocks) {
        const site = siteFor(shell, block);
        const r = await runBlock(block, {
          env: {
            ...site.env,
            ...env,
            APP_DIRECT_URL: `http://127.0.0.1:${ctx.estate.app.port}`,
            ...ctx.vars,
          },
          timeoutMs: Math.max(1000, Math.min(60_000, deadline - Date.now())),
          secrets,
          signal: ctx.signal,
          site,
        });
        const output = [r.stdout.trim(), r.stderr.trim() ? `[stderr]\n${r.stderr.trim()}` : '']
          .filter(Boolean)
          .join('\n')
          .split('\n')
          .slice(-20)
          .join('\n');
        items.push(judgeCheck(block, doc.path, r, output));
      }
      const failed = items.filter((i) => i.status === 'fail');
      const skipped = items.filter((i) => i.status === 'skip');
      ctx.vars.CHECKLIST_FAILED = failed.map((i) => i.id).join(' ');
      return {
        detail:
          `${items.length - failed.length - skipped.length} passed, ${failed.length} failed, ${skipped.length} skipped` +
          (failed.length ? `: ${failed.map((i) => `${i.name}: ${i.reason ?? ''}`).join('; ')}` : ''),
        checklist: items,
      };
    },
  };
}

/**
 * The gate before a rollout: passes only when the checklist ran and no item failed; otherwise the procedure stops
 * here and the rollout after it never starts.
 */
export function checklistGate(): Step {
  return {
    name: 'gate: the pre-deployment checklist passed',
    verifies: true,
    run(ctx) {
      const failed = ctx.vars.CHECKLIST_FAILED;
      if (failed === undefined)
        throw new StepError('the pre-deployment checklist has not run: rollout not started');
      if (failed.trim()) {
        throw new StepError(
          `pre-deployment checklist failed on ${failed.trim().split(' ').join(', ')}: rollout not started`,
        );
      }
      return Promise.resolve({
        detail: 'every checklist item passed or was skipped with a reason: rollout may start',
      });
    },
  };
}
