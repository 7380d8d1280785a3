// The HTML report: one self-contained page (inline CSS and SVG, no script, no network) an SRE reads at a glance. Pure.
import type { BenchReport } from './report.ts';
import { escapeHtml as e, lineChart } from './svg.chart.ts';

const num = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits }));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(0)}%`);

/** Cells are HTML (escape text first) or numbers; columns listed in `left` hold prose and align left. */
function table(head: string[], rows: (string | number)[][], left: number[] = []): string {
  const cls = (i: number) => (left.includes(i) ? ' class="l"' : '');
  return `<table><thead><tr>${head.map((h, i) => `<th${cls(i)}>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${typeof c === 'number' ? num(c) : c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function correctnessBlock(r: BenchReport): string {
  const c = r.correctness;
  if (!c) return '<p class="warn">Correctness not checked.</p>';
  const list = (label: string, b: { count: number; sample: string[] }) =>
    b.count ? `<li>${e(label)}: ${b.count} (e.g. <code>${b.sample.slice(0, 5).map(e).join('</code>, <code>')}</code>)</li>` : '';
  return `<div class="${c.ok ? 'ok' : 'bad'}"><strong>${c.ok ? 'PASS' : 'FAIL'}</strong>: ${num(c.accepted, 0)} accepted events; ${num(c.applied, 0)} applied exactly once; ${num(c.withOutcome, 0)} with exactly one outcome.
  <ul>${list('accepted but not applied', c.missingApplied)}${list('applied more than once', c.doubledApplied)}${list('no outcome', c.missingOutcome)}${list('more than one outcome', c.doubledOutcome)}${c.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul></div>`;
}

export function renderHtml(r: BenchReport): string {
  const s = r.summary;
  const tl = r.timeline;
  const throughput = lineChart({
    id: 'chart-throughput',
    title: 'Throughput (events/s)',
    yLabel: 'events/s',
    series: [
      { name: 'accepted (client)', points: tl.map((p) => [p.t, p.acceptedPerS]) },
      ...(tl.some((p) => p.appliedPerS !== null) ? [{ name: 'applied (Postgres)', points: tl.filter((p) => p.appliedPerS !== null).map((p) => [p.t, p.appliedPerS!] as [number, number]) }] : []),
      ...(tl.some((p) => p.outcomesPerS !== null) ? [{ name: 'outcomes (crm.outcomes)', points: tl.map((p) => [p.t, p.outcomesPerS ?? 0] as [number, number]) }] : []),
      ...(tl.some((p) => p.clickhousePerS !== null) ? [{ name: 'outcomes (ClickHouse)', points: tl.filter((p) => p.clickhousePerS !== null).map((p) => [p.t, p.clickhousePerS!] as [number, number]) }] : []),
    ],
  });
  const withRequests = tl.filter((p) => p.requestsPerS > 0);
  const latency = lineChart({
    id: 'chart-latency',
    title: 'Client latency per second (ms)',
    yLabel: 'ms',
    series: (['p50', 'p90', 'p99'] as const).map((k) => ({ name: k, points: withRequests.map((p) => [p.t, p[k]] as [number, number]) })),
  });
  const lag = lineChart({
    id: 'chart-lag',
    title: 'Consumer lag (messages)',
    yLabel: 'messages',
    series: r.lag.map((l) => ({ name: `${l.group} / ${l.topic}`, points: l.samples.map((x) => [x.t, x.lag] as [number, number]) })),
  });
  const cpu = lineChart({
    id: 'chart-cpu',
    title: 'CPU (% of one core; 200% = this whole box)',
    yLabel: '%',
    series: r.processes.map((p) => ({ name: p.name, points: p.samples.slice(1).map((x) => [x.t, x.cpuPct] as [number, number]) })),
  });
  const rss = lineChart({
    id: 'chart-rss',
    title: 'Memory (PSS, MB: shared pages split among their processes)',
    yLabel: 'MB',
    series: r.processes.map((p) => ({ name: p.name, points: p.samples.map((x) => [x.t, x.rssMb] as [number, number]) })),
  });
  const ceilingRows = r.ceilings.map((c) => [e(c.name), c.error ? `<span class="warn">${e(c.error)}</span>` : num(c.eventsPerS), e(c.what)]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>inflow bench: ${e(r.scenario)} ${e(r.startedAt)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #e5e7eb;padding:3px 8px;text-align:right}th{background:#f9fafb}td:first-child,th:first-child,td.l,th.l{text-align:left}
.kpis{display:flex;flex-wrap:wrap;gap:12px}.kpi{border:1px solid #e5e7eb;border-radius:6px;padding:8px 14px;min-width:150px}.kpi b{display:block;font-size:20px}
.ok{background:#ecfdf5;border:1px solid #10b981;padding:8px 12px;border-radius:6px}.bad{background:#fef2f2;border:1px solid #ef4444;padding:8px 12px;border-radius:6px}.warn{color:#b45309}
svg.chart{display:block;margin:12px 0;border:1px solid #f3f4f6}.grid{stroke:#e5e7eb}.tick,.legend,.axis{font-size:11px;fill:#374151}.title{font-size:13px;font-weight:600;fill:#111827}.empty{fill:#9ca3af}
code{font-size:12px}
</style></head><body>
<h1>inflow bench — ${e(r.scenario)}</h1>
<p>${e(r.startedAt)} → ${e(r.finishedAt)} · target ${e(r.target)} · <code>${e(r.command)}</code><br>
${e(r.machine.hostname)}: ${r.machine.cpus} × ${e(r.machine.cpuModel)}, ${r.machine.memoryGb} GB, Node ${e(r.machine.node)} — ${e(r.machine.note)}</p>
<div class="kpis">
<div class="kpi">accepted<b>${num(s.acceptedPerS)}/s</b></div>
<div class="kpi">applied<b>${num(s.appliedPerS)}/s</b></div>
<div class="kpi">outcomes<b>${num(s.outcomesPerS)}/s</b></div>
<div class="kpi">client p99<b>${num(s.latencyMs.p99)} ms</b></div>
<div class="kpi">end-to-end p99<b>${num(s.e2eLatencyMs?.p99)} ms</b></div>
<div class="kpi">errors<b>${num(s.errors, 0)}</b></div>
</div>
<h2>Correctness</h2>${correctnessBlock(r)}
<h2>Summary</h2>
${table(['measure', 'value'], [
    ['load / drain seconds', `${num(s.loadSeconds)} / ${num(s.drainSeconds)}`],
    ['requests (per s)', `${num(s.requests, 0)} (${num(s.requestsPerS)})`],
    ['events sent / accepted / distinct', `${num(s.eventsSent, 0)} / ${num(s.accepted, 0)} / ${num(s.acceptedDistinct, 0)}`],
    ['duplicates flagged / rejected', `${num(s.duplicates, 0)} / ${num(s.rejected, 0)}`],
    ['client latency ms p50 / p90 / p99 / max', `${num(s.latencyMs.p50)} / ${num(s.latencyMs.p90)} / ${num(s.latencyMs.p99)} / ${num(s.latencyMs.max)}`],
    ['end-to-end ms p50 / p90 / p99 / max', s.e2eLatencyMs ? `${num(s.e2eLatencyMs.p50)} / ${num(s.e2eLatencyMs.p90)} / ${num(s.e2eLatencyMs.p99)} / ${num(s.e2eLatencyMs.max)}` : '–'],
    ['statuses', e(JSON.stringify(s.statuses))],
    ['processed_events by status', e(JSON.stringify(s.appliedByStatus ?? {}))],
    ['outcomes by status', e(JSON.stringify(s.outcomesByStatus ?? {}))],
    ['outcomes in ClickHouse (per s)', `${num(s.clickhouseOutcomes, 0)} (${num(s.clickhouseOutcomesPerS)})`],
    ['fixed-rate backlog at end (requests)', num(s.backlog, 0)],
  ])}
<h2>Ceilings (same machine, same run)</h2>
${table(['ceiling', 'events/s', 'what'], ceilingRows, [2])}
${table(['ratio', 'value'], Object.entries(r.ratios).map(([k, v]) => [e(k), pct(v)]))}
<h2>Throughput</h2>${throughput}
<h2>Latency</h2>${latency}
${table(['request kind', 'count', 'p50', 'p90', 'p99', 'max'], Object.entries(s.latencyByKind).map(([k, l]) => [e(k), l.count, l.p50, l.p90, l.p99, l.max]))}
<h2>Consumer lag</h2>${lag}
<h2>Processes</h2>${cpu}${rss}
${table(['process', 'CPU % avg', 'CPU % max', 'PSS MB max', 'PSS MB/min'], r.processes.map((p) => [e(p.name), p.cpuPctAvg, p.cpuPctMax, p.rssMbMax, p.rssMbSlopePerMin]))}
${r.findMax ? `<h2>Find-max steps</h2>${table(['target/s', 'accepted/s', 'p99 ms', 'error rate', 'lag growth', 'ok'], r.findMax.map((x) => [x.targetPerS, x.acceptedPerS, x.p99, pct(x.errorRate), x.lagGrowth, x.ok ? 'yes' : 'knee']))}` : ''}
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : ''}
<h2>Options</h2><pre>${e(JSON.stringify(r.options, null, 2))}</pre>
</body></html>
`;
}
