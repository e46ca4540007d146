import { formatDuration } from '../core/duration.ts';
import { drillStatus, phaseDurations, steps, type DrillRecord } from '../record/record.ts';
import { ofKind } from '../measure/timeline.ts';
import { missingEvidence, type EvidenceInput } from './evidence.ts';
import type { RunSummary } from './summary.ts';

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));
const at = (ms: number) => `+${(ms / 1000).toFixed(3)} s`;
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** report.md: the run for people. A pure function of the summary, the records and people's evidence. */
export function renderMarkdown(
  summary: RunSummary,
  records: readonly DrillRecord[],
  evidence?: EvidenceInput,
): string {
  const missing = missingEvidence(evidence, summary.status === 'passed');
  const lines = [
    `# Drill report ${summary.runId}`,
    '',
    ...(missing.length
      ? [
          `**DRAFT**: people still have to fill ${missing.map((m) => m.field).join(', ')} (\`drill report <run-dir> --evidence FILE\`).`,
          '',
        ]
      : []),
    `**Overall: ${summary.status.toUpperCase()}** · backend \`${summary.backend}\` · ${summary.startedAt} → ${summary.finishedAt}`,
    '',
    '> Automated functional test on a disposable estate created for this run, not production.',
    '',
    '| drill | quarter | status | RTO objective | RTO measured | RPO objective | RPO measured | acked writes | lost acked |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...summary.drills.map(
      (d) =>
        `| ${d.id} | ${d.quarter} | ${d.status} | ${fmt(d.objectives.rtoMs)} | ${fmt(d.measured.rtoMs)} | ${fmt(d.objectives.rpoMs)} | ${fmt(d.measured.rpoMs)} | ${d.measured.ackedWrites ?? '—'} | ${d.measured.lostAckedWrites ?? '—'} |`,
    ),
    '',
  ];
  for (const r of records) lines.push(...drillSection(r));
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
    `- Sign-off: ${ev?.signOff ? `${esc(ev.signOff.name)}${ev.signOff.role ? `, ${esc(ev.signOff.role)}` : ''}, ${ev.signOff.date}` : val(undefined, 'signOff')}`,
    ...(ev?.deviations ?? []).map((d) => `- Deviation reported by participants: ${esc(d)}`),
    '',
  );
  if (ev?.findings.length) {
    out.push('| finding | severity | owner | due | retest |', '| --- | --- | --- | --- | --- |');
    ev.findings.forEach((f, i) =>
      out.push(
        `| ${esc(f.title)} | ${f.severity} | ${val(f.owner, `findings[${i}].owner`)} | ${val(f.due, `findings[${i}].due`)} | ${esc(f.retest ?? '—')} |`,
      ),
    );
    out.push('');
  } else if (miss('findings')) out.push(`- Findings: ${val(undefined, 'findings')}`, '');
  return out;
}

function drillSection(r: DrillRecord): string[] {
  const status = drillStatus(r);
  const rto = r.measurements?.rto;
  const rpo = r.measurements?.rpo;
  const probes = ofKind(r.timeline, 'probe');
  const writes = ofKind(r.timeline, 'write');
  const phases = phaseDurations(r);
  const out = [
    `## ${r.drill.id}: ${r.drill.title}`,
    '',
    `**Verdict: ${status.toUpperCase()}**${r.error ? ` — ${esc(r.error.message)}` : ''}`,
    '',
    r.drill.description,
    '',
    `- Runbook section exercised: ${r.drill.runbookSection}`,
    `- Scenario: \`${r.drill.source ?? r.drill.id}\`; quarter ${r.drill.quarter}; backend ${r.backend}`,
    `- Started ${r.startedAt}, finished ${r.finishedAt} (${formatDuration(r.durationMs)})`,
    `- Measurement: probes of \`${r.settings.probePath}\` every ${fmt(r.settings.probeIntervalMs)} through the router (${probes.length} sent); canary writes every ${fmt(r.settings.writeIntervalMs)} (${writes.length} sent); recovery = ${r.settings.consecutive} consecutive successes with no failure for ${fmt(r.settings.settleMs)} after`,
    ...(r.settings.replication ? [`- Replication: ${r.settings.replication}`] : []),
    ...(r.runbook
      ? [
          `- Runbook under test: \`${r.runbook.path}\` sha256 \`${r.runbook.sha256}\`${r.runbook.gitCommit ? ` at git commit \`${r.runbook.gitCommit}\`` : ''}`,
        ]
      : []),
    '',
    '### Objectives vs measured',
    '',
    '| criterion | objective | measured | result |',
    '| --- | --- | --- | --- |',
    ...r.criteria.map(
      (c) => `| ${c.name} | ${esc(c.objective)} | ${esc(c.measured)} | ${c.passed ? 'pass' : '**FAIL**'} |`,
    ),
    '',
  ];
  if (r.objectiveSources.rto === 'override' || r.objectiveSources.rpo === 'override') {
    out.push('Objectives overridden for this run on the command line.', '');
  }
  if (rto?.status === 'recovered') {
    out.push(
      '### Recovery time',
      '',
      `- RTO: **${formatDuration(rto.rtoMs)}** (resolution ±${fmt(rto.resolutionMs)})`,
      `- Time to detect (first failed probe): ${fmt(rto.timeToDetectMs)}`,
      `- Probes after the fault: ${rto.probesAfterFault}, failed: ${rto.failedProbes}${rto.outage ? '' : ' (no outage visible to clients)'}`,
      '',
    );
  } else if (rto) {
    out.push('### Recovery time', '', `- Not recovered: ${rto.reason}`, '');
  }
  if (rpo) {
    out.push(
      '### Data loss',
      '',
      `- RPO: **${formatDuration(rpo.rpoMs)}**`,
      `- Canary writes: ${rpo.sentWrites} sent, ${rpo.ackedWrites} acknowledged, read back ${r.measurements?.canaryRowsRead ?? 0} rows from the authoritative database`,
      `- Lost acknowledged writes: **${rpo.lostAckedWrites}**${rpo.lostSeqRanges.length ? ` (seq ${rpo.lostSeqRanges.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ')})` : ''}; acked before the fault: ${rpo.lostBeforeFault}, after: ${rpo.lostAfterFault}`,
      ...(rpo.lastSafeSeq !== undefined
        ? [`- Last safe write before the first loss: seq ${rpo.lastSafeSeq}`]
        : []),
      `- Refused writes (the application said not committed): ${rpo.sentWrites - rpo.ackedWrites - rpo.recoveredWrites - rpo.indeterminateAbsent}`,
      `- Indeterminate writes: ${rpo.recoveredWrites} present afterwards, ${rpo.indeterminateAbsent} absent (never acknowledged, so not lost)`,
      `- Unexpected rows (never sent): ${rpo.unexpectedSeqs.length}; failed-but-committed: ${rpo.failedButPresent}`,
      '',
    );
  }
  const checks = r.checks ?? [];
  if (checks.length) {
    out.push(
      '### Integrity checks',
      '',
      '| check | expected | actual | result |',
      '| --- | --- | --- | --- |',
    );
    for (const c of checks)
      out.push(
        `| ${esc(c.name)} | ${esc(c.expected)} | ${esc(c.actual)} | ${c.passed ? 'pass' : '**FAIL**'} |`,
      );
    out.push('');
  }
  out.push('### Timeline', '', '| at | event | detail |', '| --- | --- | --- |');
  const rows: [number, string][] = [];
  for (const e of r.timeline) {
    if (e.kind === 'phase')
      rows.push([
        e.t,
        `phase **${e.phase}** | ${e.ok === false ? `failed: ${esc(e.error ?? '')}` : fmt(phases[e.phase])}`,
      ]);
    else if (e.kind === 'fault')
      rows.push([e.t, `fault ${e.state}: ${e.name} → ${e.target} | ${esc(e.detail ?? '')}`]);
    else if (e.kind === 'step')
      rows.push([
        e.t,
        `step: ${esc(e.name)} | ${e.ok ? 'ok' : 'FAILED'} in ${fmt(e.end - e.t)}: ${esc(e.error ?? e.detail ?? '')}`,
      ]);
    else if (e.kind === 'note') rows.push([e.t, `note | ${esc(e.message)}`]);
  }
  if (rto?.status === 'recovered') {
    if (rto.timeToDetectMs !== undefined && r.faultAt !== undefined)
      rows.push([r.faultAt + rto.timeToDetectMs, 'first failed probe (detected) | ']);
    rows.push([rto.recoveredAt, '**recovered** (start of sustained success) | ']);
  }
  // Stable sort: events recorded at the same instant keep the order they happened in.
  for (const [t, row] of rows.sort((a, b) => a[0] - b[0])) out.push(`| ${at(t)} | ${row} |`);
  out.push('', '### Runbook steps', '', '| step | source | duration | result |', '| --- | --- | --- | --- |');
  for (const s of steps(r))
    out.push(
      `| ${esc(s.name)} | ${esc(s.source ?? '')} | ${fmt(s.durationMs)} | ${s.ok ? 'ok' : `FAILED: ${esc(s.error ?? '')}`} |`,
    );
  out.push('', '### Estate', '');
  if (r.estate) {
    const e = r.estate;
    out.push(
      `- Backend: ${e.backend} (${e.platform}, Node ${e.nodeVersion})`,
      `- PostgreSQL ${e.postgresVersion ?? '?'}, system identifier ${e.postgresSystemIdentifier ?? '?'}`,
      ...(e.redisVersion ? [`- Redis ${e.redisVersion}`] : []),
      `- Application ${e.appVersion}`,
      ...Object.entries(e.images ?? {}).map(([role, ref]) => `- Image of ${role}: \`${ref}\``),
    );
  } else out.push('- not provisioned');
  out.push('', '### Teardown', '');
  if (r.teardown.kept)
    out.push('- Estate **kept** on request (`--keep`); remove it with `npx drill cleanup`.');
  else {
    for (const t of r.teardown.results)
      out.push(
        `- ${t.ok ? 'done' : 'FAILED'}: ${t.name} (${fmt(t.durationMs)})${t.error ? `: ${t.error}` : ''}`,
      );
    out.push(
      r.teardown.leaks.length
        ? `- **Leaks:** ${r.teardown.leaks.join('; ')}`
        : '- Leak check: nothing left behind (processes, ports, directories, containers).',
    );
  }
  out.push('');
  return out;
}
