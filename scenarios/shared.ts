/**
 * What several scenarios share: the runbook under test, and the SQL that seeds data and fingerprints it.
 */
import { join } from 'node:path';
import { loadRunbook } from '../harness/runbook/markdown.ts';

export const RUNBOOK_PATH = 'fixtures/runbook/deployment-runbook.md';

/** The project's deployment runbook: its blocks are what the data-protection drills execute. */
export const deploymentRunbook = loadRunbook(join(import.meta.dirname, '..', RUNBOOK_PATH), RUNBOOK_PATH);

/** 100 marker rows with known content, ids 1..100 on the fresh estate. */
export const INSERT_MARKERS = `INSERT INTO orders (item, qty)
  SELECT 'marker-' || lpad(g::text, 4, '0'), g FROM generate_series(1, 100) AS g`;

/** 2000 ordinary orders: the data a restore must bring back exactly. */
export const INSERT_SEED = `INSERT INTO orders (item, qty)
  SELECT 'seed-' || g, 1 + g % 9 FROM generate_series(1, 2000) AS g`;

/** Row count and an md5 over every column that matters, in a fixed order: equal means the same data. */
export const fingerprint = (where: string) =>
  `SELECT count(*) AS rows, coalesce(md5(string_agg(id || ':' || item || ':' || qty, ',' ORDER BY id)), 'empty') AS md5
     FROM orders WHERE ${where}`;

export const MARKERS = "item LIKE 'marker-%'";
export const NOT_CANARY = 'canary_run IS NULL';
