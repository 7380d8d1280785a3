// The summary printed at the end of a run: every result, and its ratio to its ceiling. Pure.
import type { BenchReport } from './report.ts';

const n = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: d }));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '' : ` (${(v * 100).toFixed(0)}% of ceiling)`);

export function formatSummary(r: BenchReport): string {
  const s = r.summary;
  const c = (name: string) => r.ceilings.find((x) => x.name === name);
  const lines = [
    '',
    `  scenario ${r.scenario}: ${n(s.loadSeconds)} s of load, ${n(s.drainSeconds)} s of drain; ${n(s.requests, 0)} requests, ${n(s.eventsSent, 0)} events sent`,
    `  accepted     ${n(s.acceptedPerS)} events/s (${n(s.accepted, 0)}, ${n(s.duplicates, 0)} flagged duplicate, ${n(s.rejected, 0)} rejected)${pct(r.ratios['accepted / http'])}`,
    `  applied      ${n(s.appliedPerS)} events/s${pct(r.ratios['applied / postgres COPY'])}   processed_events: ${JSON.stringify(s.appliedByStatus ?? {})}`,
    `  outcomes     ${n(s.outcomesPerS)} events/s${pct(r.ratios['outcomes / clickhouse insert'])}   ${JSON.stringify(s.outcomesByStatus ?? {})}`,
    `  ClickHouse   ${n(s.clickhouseOutcomesPerS)} outcomes/s (${n(s.clickhouseOutcomes, 0)} rows via GET /v1/analytics/outcomes)`,
    `  client ms    p50 ${n(s.latencyMs.p50)}  p90 ${n(s.latencyMs.p90)}  p99 ${n(s.latencyMs.p99)}  max ${n(s.latencyMs.max)}`,
    `  end-to-end   ${s.e2eLatencyMs ? `p50 ${n(s.e2eLatencyMs.p50)}  p90 ${n(s.e2eLatencyMs.p90)}  p99 ${n(s.e2eLatencyMs.p99)}  max ${n(s.e2eLatencyMs.max)} ms (edge receive -> applied)` : '-'}`,
    `  errors       ${n(s.errors, 0)} ${JSON.stringify(s.errorsByStatus)}`,
    '',
    '  ceilings (same machine, same run):',
    ...r.ceilings.map((x) => `    ${x.name.padEnd(10)} ${x.error ? `failed: ${x.error}` : `${n(x.eventsPerS)} /s`}  ${x.what}`),
    ...(c('broker') && !c('broker')!.error ? [`    accepted / broker: ${n((r.ratios['accepted / broker'] ?? 0) * 100, 0)}%`] : []),
    '',
    '  processes:',
    ...r.processes.map((p) => `    ${p.name.padEnd(26)} cpu avg ${n(p.cpuPctAvg).padStart(6)}%  max ${n(p.cpuPctMax).padStart(6)}%  pss max ${n(p.rssMbMax, 0).padStart(6)} MB  growth ${n(p.rssMbSlopePerMin).padStart(6)} MB/min`),
    ...(r.lag.length ? ['', '  consumer lag (max / at end):', ...r.lag.map((l) => `    ${l.group} on ${l.topic}: ${n(l.max, 0)} / ${n(l.last, 0)}`)] : []),
    ...(r.findMax ? ['', '  find-max:', ...r.findMax.map((x) => `    ${n(x.targetPerS, 0)}/s -> ${n(x.acceptedPerS, 0)}/s p99 ${x.p99} ms${x.ok ? '' : '  <- knee'}`)] : []),
  ];
  const k = r.correctness;
  if (k) {
    lines.push('', k.ok
      ? `  correctness: PASS, ${n(k.accepted, 0)} accepted events, each applied exactly once with exactly one outcome`
      : `  correctness: FAIL, accepted ${n(k.accepted, 0)}: not applied ${k.missingApplied.count}, applied twice ${k.doubledApplied.count}, no outcome ${k.missingOutcome.count}, several outcomes ${k.doubledOutcome.count}`);
    for (const [label, b] of [['not applied', k.missingApplied], ['applied twice', k.doubledApplied], ['no outcome', k.missingOutcome], ['several outcomes', k.doubledOutcome]] as const) {
      if (b.count) lines.push(`    ${label}: ${b.sample.join(', ')}${b.count > b.sample.length ? ', ...' : ''}`);
    }
    for (const note of k.notes) lines.push(`    ${note}`);
  }
  if (r.notes.length) lines.push('', ...r.notes.map((x) => `  note: ${x}`));
  return lines.join('\n');
}
