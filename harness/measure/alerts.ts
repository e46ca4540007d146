/**
 * The alerts of a drill, measured from the alert watcher's events: per rule, when it went pending, fired, reached
 * each receiver and resolved, relative to t_f; and what is wrong: an expected alert that never fired, never
 * reached a receiver the routing promises or never resolved, an alert firing in the steady state, a
 * notification at a receiver the routing does not promise.
 */
import { ofKind, type TimelineEvent } from './timeline.ts';

/** An alert a drill expects, and the receivers its severity is routed to. */
export interface AlertExpectation {
  name: string;
  /**
   * `fires` (default): the fault must fire it, notify every promised receiver, and it must resolve.
   * `must-not-page`: the drill's outage is shorter than the rule's `for`; it may go pending, but firing or any
   * notice is a page nobody should have had, and fails the drill.
   */
  kind?: 'fires' | 'must-not-page';
}

export interface AlertNotified {
  receiver: string;
  /** First firing notification, ms after t_f. */
  atMs?: number;
  /** First resolved notification after it. */
  resolvedAtMs?: number;
}

export interface AlertResult {
  name: string;
  severity?: string;
  expected: boolean;
  /** What the drill declared of it (absent: nothing, it is watched like every alert). */
  expectation?: 'fires' | 'must-not-page';
  /** When the fault that must raise it struck (a stage of a sequence), ms after t_f. */
  expectedAtMs?: number;
  pendingAtMs?: number;
  firedAtMs?: number;
  resolvedAtMs?: number;
  notified: AlertNotified[];
  /** What is wrong with it, one sentence each (empty: as promised). */
  problems: string[];
}

export interface AlertsInput {
  faultAt?: number;
  expected: readonly AlertExpectation[];
  /** Severity -> the receivers the routing promises (the runbook's policy). */
  routing: Readonly<Record<string, readonly string[]>>;
  /** Severity of each rule, from the rules file. */
  severities: Readonly<Record<string, string | undefined>>;
  /**
   * How often the watcher polls Prometheus: a notice (dated on arrival) may precede the firing the watcher saw
   * by up to one poll. Notices earlier than that belong to an earlier episode.
   */
  pollMs?: number;
  /**
   * `--alert-time-scale`: the rules' `for` ran divided by it while the outage ran in real time, so each real
   * second of outage stood for `scale` seconds against the `for`. Named when a must-not-page alert fired.
   */
  scale?: number;
}

export function measureAlerts(events: readonly TimelineEvent[], input: AlertsInput): AlertResult[] {
  const alerts = ofKind(events, 'alert');
  const tf = input.faultAt ?? 0;
  const names = [...new Set([...input.expected.map((e) => e.name), ...alerts.map((a) => a.name)])];
  return names.map((name) => {
    const own = alerts.filter((a) => a.name === name);
    const severity = input.severities[name] ?? own.find((a) => a.severity)?.severity;
    const declared = input.expected.find((e) => e.name === name);
    const expectation = declared ? (declared.kind ?? 'fires') : undefined;
    const expected = expectation === 'fires';
    const promised = severity ? (input.routing[severity] ?? []) : [];
    // A fault that announced this alert (a stage of a sequence) is where its firing is measured from: an
    // episode an earlier fault caused in passing is not the proof.
    const expectedAt = own.filter((a) => a.state === 'expected').at(-1)?.t;
    const from = Math.max(expectedAt ?? tf, tf);
    const after = own.filter((a) => (input.faultAt === undefined && expectedAt === undefined) || a.t >= from);
    const first = (state: string) => after.find((a) => a.state === state)?.t;
    const firedAt = first('firing');
    const pendingAt = first('pending');
    const resolvedAt =
      firedAt === undefined ? undefined : after.find((a) => a.state === 'resolved' && a.t >= firedAt)?.t;
    const rel = (t: number | undefined) => (t === undefined ? undefined : Math.round(t - tf));
    const receivers = [
      ...new Set([
        ...(expected ? promised : []),
        ...after.filter((a) => a.state === 'notified').map((a) => a.receiver ?? ''),
      ]),
    ];
    const episode = firedAt === undefined ? from : firedAt - (input.pollMs ?? 0);
    const notified: AlertNotified[] = receivers.map((receiver) => {
      const at = after.find(
        (a) => a.state === 'notified' && a.receiver === receiver && a.status === 'firing' && a.t >= episode,
      )?.t;
      const res =
        at === undefined
          ? undefined
          : after.find(
              (a) =>
                a.state === 'notified' && a.receiver === receiver && a.status === 'resolved' && a.t >= at,
            )?.t;
      return {
        receiver,
        ...(at !== undefined ? { atMs: rel(at) } : {}),
        ...(res !== undefined ? { resolvedAtMs: rel(res) } : {}),
      };
    });
    const problems: string[] = [];
    const steadyFiring = input.faultAt !== undefined && own.some((a) => a.t < tf && a.state === 'firing');
    if (steadyFiring)
      problems.push(`alert ${name} fired in the steady state, before the fault (a false positive)`);
    if (expected) {
      if (firedAt === undefined) problems.push(`expected alert ${name} never fired`);
      else if (resolvedAt === undefined)
        problems.push(`alert ${name} fired but never resolved after the recovery`);
      for (const n of notified) {
        if (!promised.includes(n.receiver)) continue;
        if (n.atMs === undefined && firedAt !== undefined)
          problems.push(`alert ${name} (${severity ?? 'no severity'}) never reached receiver ${n.receiver}`);
        else if (n.atMs !== undefined && resolvedAt !== undefined && n.resolvedAtMs === undefined)
          problems.push(`alert ${name} resolved, but receiver ${n.receiver} never got the resolved notice`);
      }
    }
    if (expectation === 'must-not-page') {
      if (firedAt !== undefined)
        problems.push(
          `alert ${name} fired at ${rel(firedAt)} ms after the fault, during an outage the drill expects to be shorter than its \`for\`: it must not page` +
            (input.scale && input.scale > 1
              ? ` (at time scale 1/${input.scale} each real second of outage stands for ${input.scale} s against the \`for\`; a smaller --alert-time-scale judges an outage this long nearer its real length)`
              : ''),
        );
      for (const n of notified)
        if (n.atMs !== undefined)
          problems.push(`alert ${name} paged receiver ${n.receiver}, and must not page for this outage`);
    }
    for (const n of notified)
      if (n.atMs !== undefined && !promised.includes(n.receiver))
        problems.push(
          `alert ${name} (${severity ?? 'no severity'}) was notified at receiver ${n.receiver}, which the routing does not promise (${promised.join(', ') || 'none'})`,
        );
    return {
      name,
      ...(severity ? { severity } : {}),
      expected,
      ...(expectation ? { expectation } : {}),
      ...(expectedAt !== undefined ? { expectedAtMs: rel(expectedAt) } : {}),
      ...(pendingAt !== undefined ? { pendingAtMs: rel(pendingAt) } : {}),
      ...(firedAt !== undefined ? { firedAtMs: rel(firedAt) } : {}),
      ...(resolvedAt !== undefined ? { resolvedAtMs: rel(resolvedAt) } : {}),
      notified,
      problems,
    };
  });
}

/** Whether every expected alert has fired, reached its promised receivers and resolved, with resolved notices. */
export function alertsSettled(results: readonly AlertResult[], routing: AlertsInput['routing']): boolean {
  return results
    .filter((r) => r.expected)
    .every((r) => {
      if (r.firedAtMs === undefined || r.resolvedAtMs === undefined) return false;
      const promised = r.severity ? (routing[r.severity] ?? []) : [];
      return promised.every((p) => {
        const n = r.notified.find((x) => x.receiver === p);
        return n?.atMs !== undefined && n.resolvedAtMs !== undefined;
      });
    });
}

/** A rule whose selectors found no series in the live Prometheus before the fault. */
export interface RuleSeriesFinding {
  rule: string;
  /** Selectors that returned nothing. */
  missing: string[];
}

/** A dashboard panel query and whether it returned data during the drill. */
export interface PanelCheck {
  panel: string;
  expr: string;
  hasData: boolean;
  /** Why it was not judged (its job is not scraped in this estate). */
  skipped?: string;
}

/** Everything the alert watcher measured: the record's `measurements.alerts`. */
export interface AlertsMeasurement {
  /** Durations of the rules and routing were divided by it. */
  scale: number;
  files: { rules: string; alertmanager: string; dashboard: string };
  /** Each rule's `for` and range windows as written, and `for` as run. */
  rules: { name: string; severity?: string; for: string; scaledFor: string; windows: string[] }[];
  /** The root route's timing as written (unscaled). */
  routeTiming: Record<string, string>;
  routing: Record<string, string[]>;
  alerts: AlertResult[];
  ruleSeries: RuleSeriesFinding[];
  dashboard: PanelCheck[];
}

/** The sentences that fail a drill, from the alerts measurement. */
export function alertProblems(m: AlertsMeasurement): string[] {
  return [
    ...m.ruleSeries.map(
      (f) =>
        `rule ${f.rule} selects no series in the live Prometheus before the fault: ${f.missing.join(', ')}`,
    ),
    ...m.alerts.flatMap((a) => a.problems),
    ...m.dashboard
      .filter((p) => !p.hasData && !p.skipped)
      .map((p) => `dashboard panel "${p.panel}" returned no data during the drill: ${p.expr}`),
  ];
}
