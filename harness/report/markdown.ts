import type { AlertsView } from './alerts-view.ts';
import { formatDuration } from '../core/duration.ts';
import type { DrillRecord } from '../record/record.ts';
import { missingEvidence, type EvidenceInput } from './evidence.ts';
import { mdCode, mdFence, mdText } from './md-escape.ts';
import type { RunSummary } from './summary.ts';
import { drillView, seqRanges, VIA_WORDS, type DrillView, type TimelineRow } from './view.ts';

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));
const at = (ms: number) => `+${(ms / 1000).toFixed(3)} s`;
const esc = mdText;

/**
 * report.md: the run for people. A pure function of the summary, the records (through their view, shared with
 * report.html) and people's evidence.
 */
export function renderMarkdown(
  summary: RunSummary,
  records: readonly DrillRecord[],
  evidence?: EvidenceInput,
): string {
  const missing = missingEvidence(evidence, summary.status === 'passed');
  const lines = [
    `# Drill report ${esc(summary.runId)}`,
    '',
    ...(missing.length
      ? [
          `**DRAFT**: people still have to fill ${missing.map((m) => m.field).join(', ')} (\`drill report <run-dir> --evidence FILE\`).`,
          '',
        ]
      : []),
    `**Overall: ${summary.status.toUpperCase()}** · backend ${mdCode(summary.backend)} · ${esc(summary.startedAt)} → ${esc(summary.finishedAt)}`,
    '',
    '> Automated functional test on a disposable estate created for this run, not production.',
    '',
    '| drill | quarter | status | RTO objective | RTO measured | RPO objective | RPO measured | acked writes | lost acked |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...summary.drills.flatMap((d) => [
      `| ${esc(d.id)} | ${esc(d.quarter)} | ${esc(d.status)} | ${fmt(d.objectives.rtoMs)} | ${fmt(d.measured.rtoMs)} | ${fmt(d.objectives.rpoMs)} | ${fmt(d.measured.rpoMs)} | ${d.measured.ackedWrites ?? '—'} | ${d.measured.lostAckedWrites ?? '—'} |`,
      // An exercise: a row per stage under it, each with its own objectives and measurements.
      ...(d.stages ?? []).map(
        (s) =>
          `| ↳ ${s.index}. ${esc(s.id)} | ${esc(s.quarter)} | ${esc(s.status)} | ${fmt(s.objectives.rtoMs)} | ${fmt(s.measured.rtoMs)} | ${fmt(s.objectives.rpoMs)} | ${fmt(s.measured.rpoMs)} | ${s.measured.ackedWrites ?? '—'} | ${s.measured.lostAckedWrites ?? '—'} |`,
      ),
    ]),
    '',
  ];
  for (const r of records) lines.push(...drillSection(drillView(r)));
  lines.push(...peopleSection(evidence, missing));
  return `${lines.join('\n')}\n`;
}

function peopleSection(ev: EvidenceInput | undefined, missing: ReturnType<typeof missingEvidence>): string[] {
  const miss = (field: string) => missing.find((m) => m.field === field);
  const val = (v: string | undefined, field: string) => {
    const m = miss(field);
    return m ? `${v ? `${esc(v)} ` : ''}**MISSING** (${esc(m.why)})` : esc(v ?? '—');
  };
  const out = ['## People, findings and sign-off', ''];
  out.push(
    `- Participants: ${ev?.participants.length ? ev.participants.map((p) => `${esc(p.name)} (${esc(p.role)})`).join(', ') : val(undefined, 'participants')}`,
    `- Controller: ${val(ev?.controller, 'controller')}`,
    `- Independent validator: ${val(ev?.validator, 'validator')}`,
    `- Sign-off: ${ev?.signOff ? `${esc(ev.signOff.name)}${ev.signOff.role ? `, ${esc(ev.signOff.role)}` : ''}, ${esc(ev.signOff.date)}` : val(undefined, 'signOff')}`,
    ...(ev?.deviations ?? []).map((d) => `- Deviation reported by participants: ${esc(d)}`),
    '',
  );
  if (ev?.findings.length) {
    out.push('| finding | severity | owner | due | retest |', '| --- | --- | --- | --- | --- |');
    ev.findings.forEach((f, i) =>
      out.push(
        `| ${esc(f.title)} | ${esc(f.severity)} | ${val(f.owner, `findings[${i}].owner`)} | ${val(f.due, `findings[${i}].due`)} | ${esc(f.retest ?? '—')} |`,
      ),
    );
    out.push('');
  } else if (miss('findings')) out.push(`- Findings: ${val(undefined, 'findings')}`, '');
  return out;
}

function drillSection(v: DrillView): string[] {
  const { rto, rpo, measurement: m } = v;
  const out = [
    `## ${esc(v.id)}: ${esc(v.title)}`,
    '',
    `**Verdict: ${v.status.toUpperCase()}**${v.error ? ` — ${esc(v.error.message)}` : ''}`,
    '',
    esc(v.description),
    '',
    `- Runbook section exercised: ${esc(v.runbookSection)}`,
    `- Scenario: ${mdCode(v.scenario)}; quarter ${esc(v.quarter)}; backend ${esc(v.backend)}`,
    `- Started ${v.startedAt}, finished ${v.finishedAt} (${formatDuration(v.durationMs)})`,
    v.stages
      ? `- Measurement: each stage's own probes and canary writes, as its scenario declares them (${m.probesSent} probes and ${m.writesSent} canary writes in all)`
      : `- Measurement: probes of ${mdCode(m.probePath)} every ${fmt(m.probeIntervalMs)} through the router (${m.probesSent} sent); canary writes every ${fmt(m.writeIntervalMs)} (${m.writesSent} sent); recovery = ${m.consecutive} consecutive successes with no failure for ${fmt(m.settleMs)} after`,
    ...(v.replication ? [`- Replication: ${v.replication}`] : []),
    ...(v.runbook
      ? [
          `- Runbook under test: ${mdCode(v.runbook.path)} sha256 ${mdCode(v.runbook.sha256)}${v.runbook.gitCommit ? ` at git commit ${mdCode(v.runbook.gitCommit)}` : ''}`,
        ]
      : []),
    `- Switchover: ${esc(v.switchover.sentence)}`,
    '',
    ...stagesSection(v),
    '### Objectives vs measured',
    '',
    ...(v.criterionStages
      ? [
          '| stage | criterion | objective | measured | result |',
          '| --- | --- | --- | --- | --- |',
          ...v.criteria.map(
            (c, i) =>
              `| ${esc(v.criterionStages?.[i] ?? '(exercise)')} | ${esc(c.name)} | ${esc(c.objective)} | ${esc(c.measured)} | ${c.passed ? 'pass' : '**FAIL**'} |`,
          ),
        ]
      : [
          '| criterion | objective | measured | result |',
          '| --- | --- | --- | --- |',
          ...v.criteria.map(
            (c) =>
              `| ${esc(c.name)} | ${esc(c.objective)} | ${esc(c.measured)} | ${c.passed ? 'pass' : '**FAIL**'} |`,
          ),
        ]),
    '',
  ];
  if (v.objectivesOverridden) out.push('Objectives overridden for this run on the command line.', '');
  if (rto?.status === 'recovered') {
    out.push(
      '### Recovery time',
      '',
      rto.outage
        ? `- RTO: **${formatDuration(rto.rtoMs)}** (resolution ±${fmt(rto.resolutionMs)})`
        : '- RTO: **0 ms: no outage** (no probe failed after the fault)',
      `- Time to detect (first failed probe): ${fmt(rto.timeToDetectMs)}`,
      `- Probes after the fault: ${rto.probesAfterFault}, failed: ${rto.failedProbes}${rto.outage ? '' : ' (no outage visible to clients)'}`,
      '',
    );
  } else if (rto) {
    out.push('### Recovery time', '', `- Not recovered: ${esc(rto.reason)}`, '');
  }
  if (rpo) {
    out.push(
      '### Data loss',
      '',
      `- RPO: **${formatDuration(rpo.rpoMs)}**`,
      `- Canary writes: ${rpo.sentWrites} sent, ${rpo.ackedWrites} acknowledged, read back ${v.canary.rowsRead} rows from the authoritative database`,
      `- Lost acknowledged writes: **${rpo.lostAckedWrites}**${rpo.lostSeqRanges.length ? ` (seq ${seqRanges(rpo.lostSeqRanges)})` : ''}; acked before the fault: ${rpo.lostBeforeFault}, after: ${rpo.lostAfterFault}`,
      ...(rpo.lastSafeSeq !== undefined
        ? [`- Last safe write before the first loss: seq ${rpo.lastSafeSeq}`]
        : []),
      `- Refused writes (the application said not committed): ${rpo.sentWrites - rpo.ackedWrites - rpo.recoveredWrites - rpo.indeterminateAbsent}`,
      `- Indeterminate writes: ${rpo.recoveredWrites} present afterwards, ${rpo.indeterminateAbsent} absent (never acknowledged, so not lost)`,
      `- Unexpected rows (never sent): ${rpo.unexpectedSeqs.length}; failed-but-committed: ${rpo.failedButPresent}`,
      '',
    );
  }
  if (v.replicationLag) {
    out.push('### Replication', '', ...v.replicationLag.rows.map(([k, t]) => `- ${k}: ${esc(t)}`), '');
  }
  if (v.checklist) {
    out.push(
      '### Pre-deployment checklist',
      '',
      `- ${esc(v.checklist.summary)}`,
      '',
      '| section | item | status | what it saw / what to do | runbook |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const i of v.checklist.items)
      out.push(
        `| ${esc(i.section)} | ${esc(i.name)} | ${i.status === 'fail' ? '**FAIL**' : i.status} | ${esc(i.status === 'pass' ? i.detail : (i.reason ?? i.detail))} | ${mdCode(i.source)} |`,
      );
    out.push('');
  }
  if (v.shipping) {
    out.push('### DR site feed', '', ...v.shipping.rows.map(([k, t]) => `- ${k}: ${esc(t)}`), '');
  }
  if (v.checks.length) {
    out.push(
      '### Integrity checks',
      '',
      '| check | expected | actual | result |',
      '| --- | --- | --- | --- |',
    );
    for (const c of v.checks)
      out.push(
        `| ${esc(c.name)} | ${esc(c.expected)} | ${esc(c.actual)} | ${c.passed ? 'pass' : '**FAIL**'} |`,
      );
    out.push('');
  }
  if (v.alerts) out.push(...alertsSection(v.alerts));
  out.push('### Timeline', '', '| at | event | detail |', '| --- | --- | --- |');
  for (const row of v.timeline) out.push(`| ${at(row.t)} | ${timelineCells(row)} |`);
  out.push(
    '',
    '### Runbook steps',
    '',
    '| step | via | source | duration | result |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const s of v.steps)
    out.push(
      `| ${esc(s.name)} | ${VIA_WORDS[s.via]} | ${esc(s.source ?? '')} | ${fmt(s.durationMs)} | ${s.ok ? 'ok' : `FAILED: ${esc(s.error ?? '')}`} |`,
    );
  // What a failed runbook block printed, verbatim, in a fence nothing in the output can close.
  for (const s of v.steps.filter((s) => !s.ok && s.output))
    out.push('', `Output of the failed step ${esc(s.name)}:`, '', ...mdFence(s.output ?? ''));
  out.push('', '### Estate', '');
  if (v.estate) {
    const e = v.estate;
    out.push(
      `- Backend: ${esc(e.backend)} (${esc(e.platform)}, Node ${esc(e.nodeVersion)})`,
      `- PostgreSQL ${esc(e.postgresVersion ?? '?')}, system identifier ${esc(e.postgresSystemIdentifier ?? '?')}`,
      ...(e.redisVersion ? [`- Redis ${esc(e.redisVersion)}`] : []),
      `- Application ${esc(e.appVersion)}`,
      ...Object.entries(e.images ?? {}).map(([role, ref]) => `- Image of ${esc(role)}: ${mdCode(ref)}`),
    );
  } else out.push('- not provisioned');
  out.push('', '### Teardown', '');
  const c = v.cleanup;
  if (c.kept) out.push('- Estate **kept** on request (`--keep`); remove it with `npx drill cleanup`.');
  else {
    for (const t of c.entries)
      out.push(
        `- ${t.ok ? 'done' : 'FAILED'}: ${esc(t.name)} (${fmt(t.durationMs)})${t.error ? `: ${esc(t.error)}` : ''}`,
      );
    out.push(
      c.leaks.length
        ? `- **Leaks:** ${c.leaks.map(esc).join('; ')}`
        : '- Leak check: nothing left behind (processes, ports, directories, containers).',
    );
  }
  out.push('');
  return out;
}

const ENDPOINT = { db: 'database endpoint', app: 'application endpoint' } as const;

/** The event and detail cells of one timeline row. */
/** A composite exercise: one row per stage (objective, measured RTO/RPO, verdict), then the plan's verdict. */
function stagesSection(v: DrillView): string[] {
  const st = v.stages;
  if (!st) return [];
  return [
    '### Stages',
    '',
    'Each stage ran on this one estate, measured from its own probes and canary writes against its own fault (t_f); times are from the start of the exercise.',
    '',
    '| # | stage | quarter | span | t_f | RTO objective | RTO measured | RPO objective | RPO measured | lost acked | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...st.rows.map(
      (s) =>
        `| ${s.index} | ${esc(s.id)}: ${esc(s.title)} | ${esc(s.quarter)} | ${esc(s.span)} | ${esc(s.faultAt)} | ${esc(s.rtoObjective)} | ${esc(s.rtoMeasured)} | ${esc(s.rpoObjective)} | ${esc(s.rpoMeasured)} | ${esc(s.lostAcked)} | ${s.status === 'passed' ? 'pass' : `**${s.status.toUpperCase()}**`} |`,
    ),
    '',
    ...st.rows.flatMap((s) => s.findings.map((f) => `- stage ${s.index} (${esc(s.id)}): ${esc(f)}`)),
    `**Plan verdict: ${st.verdict.toUpperCase()}** (${esc(st.summary)}; ${v.cleanup.kept ? 'estate kept' : v.cleanup.clean ? 'nothing left behind' : 'resources left behind'})`,
    '',
  ];
}

function timelineCells(row: TimelineRow): string {
  switch (row.kind) {
    case 'phase':
      return `phase **${esc(row.phase)}** | ${row.ok ? fmt(row.durationMs) : `failed: ${esc(row.error ?? '')}`}`;
    case 'fault':
      return `fault ${esc(row.state)}: ${esc(row.name)} → ${esc(row.target)} | ${esc(row.detail ?? '')}`;
    case 'step':
      return `step: ${esc(row.name)} | ${row.ok ? 'ok' : 'FAILED'} in ${fmt(row.durationMs)}: ${esc(row.error ?? row.detail ?? '')}`;
    case 'switch':
      return `switch: ${ENDPOINT[row.endpoint]} | ${esc(`${row.from ?? 'an unrecorded role'} → ${row.to}`)}`;
    case 'note':
      return `note | ${esc(row.message)}`;
    case 'replication':
      return `replication: ${esc(row.what)} | ${esc(row.summary)}`;
    case 'alert':
      return `alert ${esc(row.state)}: ${esc(row.name)} | ${esc(row.summary)}`;
    case 'detected':
      return 'first failed probe (detected) | ';
    case 'recovered':
      return '**recovered** (start of sustained success) | ';
  }
}

/** The alerts table: per rule, when it went pending, fired, reached each receiver and resolved. */
function alertsSection(a: AlertsView): string[] {
  return [
    '### Alerts',
    '',
    `Rules ${mdCode(a.files.rules)}, routing ${mdCode(a.files.alertmanager)}, dashboard ${mdCode(a.files.dashboard)}; ${esc(a.scale)}.`,
    '',
    '| alert | severity | expected | pending | firing | notified | resolved | result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...a.rows.map(
      (r) =>
        `| ${esc(r.name)} | ${esc(r.severity)} | ${esc(r.expected)} | ${esc(r.pending)} | ${esc(r.fired)} | ${esc(r.notified)} | ${esc(r.resolved)} | ${r.ok ? 'ok' : `**${esc(r.problems.join('; '))}**`} |`,
    ),
    '',
    ...a.rules.map((x) => `- ${esc(x)}`),
    ...(a.ruleSeries.length
      ? a.ruleSeries.map((x) => `- **Rule against reality:** ${esc(x)}`)
      : ['- Rules against reality: every metric each rule selects had live series before the fault']),
    ...a.panels.map((x) => `- Dashboard panel ${esc(x)}`),
    '',
  ];
}
