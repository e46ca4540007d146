import { readFileSync } from 'node:fs';
import { describe, UsageError } from '../core/errors.ts';

/**
 * What people add to a drill report: who took part, who ran it and who checked it independently, the findings
 * with their owners, and the sign-off. drillbook cannot know these; a report without them is a draft.
 * The input is a JSON file (`drill run --evidence FILE`, or DRILL_EVIDENCE_FILE), validated before anything
 * starts.
 */
export interface EvidenceInput {
  participants: { name: string; role: string }[];
  /** Who ran the drill (the exercise controller). */
  controller?: string;
  /** Who checked the result and is not the controller or a participant. */
  validator?: string;
  plannedStart?: string;
  plannedEnd?: string;
  findings: Finding[];
  /** Deviations only people know about: manual interventions, retries by hand, changes to the plan. */
  deviations: string[];
  signOff?: { name: string; date: string; role?: string };
}

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  title: string;
  severity: Severity;
  owner?: string;
  /** Remediation due date, YYYY-MM-DD. */
  due?: string;
  /** Where the retest is tracked (a ticket, a later run id). */
  retest?: string;
  /** The drill the finding is about, when the run had several. */
  drill?: string;
}

/** A field people must fill that is absent: the report shows it as missing and is marked DRAFT. */
export interface MissingField {
  field: string;
  why: string;
}

const TOP = [
  'participants',
  'controller',
  'validator',
  'plannedStart',
  'plannedEnd',
  'findings',
  'deviations',
  'signOff',
];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Read and validate an evidence file; any problem is one UsageError naming the file and the field. */
export function loadEvidence(file: string): EvidenceInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`evidence file ${file}: cannot be read: ${describe(e)}`);
  }
  return parseEvidence(text, file);
}

export function parseEvidence(text: string, file: string): EvidenceInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`evidence file ${file}: not valid JSON: ${describe(e)}`);
  }
  const bad = (field: string, why: string) => new UsageError(`evidence file ${file}: ${field} ${why}`);
  const obj = (v: unknown, field: string, keys: readonly string[]): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, 'must be an object');
    const rec = v as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      if (!keys.includes(k))
        throw bad(
          `${field === '(top level)' ? '' : `${field}.`}${k}`,
          `is not a known field (known: ${keys.join(', ')})`,
        );
    }
    return rec;
  };
  const str = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || v.trim() === '') throw bad(field, 'must be a non-empty string');
    return v.trim();
  };
  const optStr = (v: unknown, field: string) => (v === undefined ? undefined : str(v, field));
  const date = (v: unknown, field: string): string => {
    const s = str(v, field);
    if (!DATE.test(s) || Number.isNaN(Date.parse(s)))
      throw bad(field, `must be a date YYYY-MM-DD, not '${s}'`);
    return s;
  };
  const instant = (v: unknown, field: string): string | undefined => {
    if (v === undefined) return undefined;
    const s = str(v, field);
    if (Number.isNaN(Date.parse(s))) throw bad(field, `must be an ISO-8601 date-time, not '${s}'`);
    return new Date(s).toISOString();
  };
  const arr = (v: unknown, field: string): unknown[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw bad(field, 'must be an array');
    return v;
  };

  const root = obj(raw, '(top level)', TOP);
  const participants = arr(root.participants, 'participants').map((p, i) => {
    const f = `participants[${i}]`;
    const o = obj(p, f, ['name', 'role']);
    return { name: str(o.name, `${f}.name`), role: str(o.role, `${f}.role`) };
  });
  const findings = arr(root.findings, 'findings').map((x, i): Finding => {
    const f = `findings[${i}]`;
    const o = obj(x, f, ['title', 'severity', 'owner', 'due', 'retest', 'drill']);
    const severity = str(o.severity, `${f}.severity`);
    if (!(SEVERITIES as readonly string[]).includes(severity))
      throw bad(`${f}.severity`, `must be one of ${SEVERITIES.join(', ')}, not '${severity}'`);
    const owner = optStr(o.owner, `${f}.owner`);
    const due = o.due === undefined ? undefined : date(o.due, `${f}.due`);
    const retest = optStr(o.retest, `${f}.retest`);
    const drill = optStr(o.drill, `${f}.drill`);
    return {
      title: str(o.title, `${f}.title`),
      severity: severity as Severity,
      ...(owner ? { owner } : {}),
      ...(due ? { due } : {}),
      ...(retest ? { retest } : {}),
      ...(drill ? { drill } : {}),
    };
  });
  const deviations = arr(root.deviations, 'deviations').map((d, i) => str(d, `deviations[${i}]`));
  let signOff: EvidenceInput['signOff'];
  if (root.signOff !== undefined) {
    const o = obj(root.signOff, 'signOff', ['name', 'date', 'role']);
    const role = optStr(o.role, 'signOff.role');
    signOff = {
      name: str(o.name, 'signOff.name'),
      date: date(o.date, 'signOff.date'),
      ...(role ? { role } : {}),
    };
  }
  const controller = optStr(root.controller, 'controller');
  const validator = optStr(root.validator, 'validator');
  const plannedStart = instant(root.plannedStart, 'plannedStart');
  const plannedEnd = instant(root.plannedEnd, 'plannedEnd');
  if (plannedStart && plannedEnd && plannedEnd < plannedStart)
    throw bad('plannedEnd', 'is before plannedStart');
  return {
    participants,
    ...(controller ? { controller } : {}),
    ...(validator ? { validator } : {}),
    ...(plannedStart ? { plannedStart } : {}),
    ...(plannedEnd ? { plannedEnd } : {}),
    findings,
    deviations,
    ...(signOff ? { signOff } : {}),
  };
}

/**
 * The fields people still have to fill. `passed` says whether every drill of the run passed: a run that did
 * not pass needs at least one finding.
 */
export function missingEvidence(ev: EvidenceInput | undefined, passed: boolean): MissingField[] {
  const out: MissingField[] = [];
  const e = ev ?? { participants: [], findings: [], deviations: [] };
  if (e.participants.length === 0)
    out.push({ field: 'participants', why: 'who took part, and in which role' });
  if (!e.controller) out.push({ field: 'controller', why: 'who ran the drill' });
  if (!e.validator) out.push({ field: 'validator', why: 'who checked the result independently' });
  else if (e.validator === e.controller)
    out.push({ field: 'validator', why: `not independent: ${e.validator} is also the controller` });
  else if (e.participants.some((p) => p.name === e.validator))
    out.push({ field: 'validator', why: `not independent: ${e.validator} is also a participant` });
  if (!passed && e.findings.length === 0)
    out.push({ field: 'findings', why: 'the drill did not pass: record at least one finding with an owner' });
  e.findings.forEach((f, i) => {
    if (!f.owner) out.push({ field: `findings[${i}].owner`, why: `who remediates "${f.title}"` });
    if (!f.due) out.push({ field: `findings[${i}].due`, why: `when "${f.title}" is due` });
  });
  if (!e.signOff) out.push({ field: 'signOff', why: 'name and date of whoever accepts this report' });
  return out;
}
