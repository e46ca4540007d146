/**
 * The step factory scenarios build their procedures from; one file per family beside this one.
 */
import { check, compare, record, spare, sql } from './data.ts';
import { verifyWrites } from './failover.ts';
import { decideRollback, restart, wait } from './release.ts';
import { block } from './runbook-block.ts';
import { observeCacheOutage, servedVersion } from './cache.ts';
import { checklist, checklistGate, tlsEndpoint } from './checklist.ts';
import { logsAfterCleanup, plantLogs, staleSession } from './maintenance.ts';
import { healSite, loseSite, splitBrainCheck } from './sites.ts';

export type { RunbookStepOptions } from './runbook-block.ts';

/**
 * The step factory scenarios use; one file per family under steps/. Every action an operator would type is
 * `block` (a block of the runbook document); the others observe, verify, or stand in for infrastructure
 * that has no command (reserving a spare server, restarting a role).
 */
export const Step = {
  verifyWrites,
  block,
  sql,
  record,
  check,
  compare,
  spare,
  decideRollback,
  restart,
  wait,
  observeCacheOutage,
  servedVersion,
  checklist,
  checklistGate,
  tlsEndpoint,
  plantLogs,
  staleSession,
  logsAfterCleanup,
  healSite,
  loseSite,
  splitBrainCheck,
};
