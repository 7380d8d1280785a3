// `inflow bench compare A.json B.json`: the differences between two reports, metric by metric. Pure.
import { REPORT_FORMAT, type BenchReport } from './report.ts';

export interface MetricDiff {
  metric: string;
  a: number | null;
  b: number | null;
  /** (b - a) / a, null when either side is missing or a is 0 */
  change: number | null;
  verdict: 'better' | 'worse' | 'same' | 'n/a';
}

type Better = 'higher' | 'lower';

function metrics(r: BenchReport): Map<string, { value: number | null; better: Better }> {
  const m = new Map<string, { value: number | null; better: Better }>();
  const put = (k: string, value: number | null | undefined, better: Better) => m.set(k, { value: value ?? null, better });
  const s = r.summary;
  put('accepted events/s', s.acceptedPerS, 'higher');
  put('requests/s', s.requestsPerS, 'higher');
  put('applied events/s', s.appliedPerS, 'higher');
  put('outcome events/s', s.outcomesPerS, 'higher');
  put('ClickHouse outcomes/s', s.clickhouseOutcomesPerS, 'higher');
  for (const p of ['p50', 'p90', 'p99', 'max'] as const) put(`client latency ${p} ms`, s.latencyMs[p], 'lower');
  for (const p of ['p50', 'p99', 'max'] as const) put(`end-to-end latency ${p} ms`, s.e2eLatencyMs?.[p], 'lower');
  put('errors', s.errors, 'lower');
  for (const c of r.ceilings) put(`ceiling ${c.name} /s`, c.error ? null : c.eventsPerS, 'higher');
  for (const [k, v] of Object.entries(r.ratios)) put(`ratio ${k}`, v, 'higher');
  for (const p of r.processes) {
    put(`cpu % ${p.name} (avg)`, p.cpuPctAvg, 'lower');
    put(`memory MB ${p.name} (max)`, p.rssMbMax, 'lower');
  }
  for (const l of r.lag) put(`lag max ${l.group}/${l.topic}`, l.max, 'lower');
  put('correctness problems', r.correctness ? r.correctness.missingApplied.count + r.correctness.doubledApplied.count + r.correctness.missingOutcome.count + r.correctness.doubledOutcome.count : null, 'lower');
  return m;
}

/** Changes within ±2% are "same": run-to-run noise on a shared 2-core box is larger than that. */
const NOISE = 0.02;

export function compareReports(a: BenchReport, b: BenchReport): MetricDiff[] {
  for (const r of [a, b]) if (r.format !== REPORT_FORMAT) throw new Error(`not an ${REPORT_FORMAT} report (format: ${String(r.format)})`);
  const ma = metrics(a);
  const mb = metrics(b);
  const keys = [...new Set([...ma.keys(), ...mb.keys()])];
  return keys.map((metric) => {
    const x = ma.get(metric)?.value ?? null;
    const y = mb.get(metric)?.value ?? null;
    const better = (ma.get(metric) ?? mb.get(metric))!.better;
    if (x === null || y === null) return { metric, a: x, b: y, change: null, verdict: 'n/a' as const };
    const change = x === 0 ? (y === 0 ? 0 : null) : (y - x) / Math.abs(x);
    const d = change ?? (y > x ? 1 : -1);
    const verdict = Math.abs(d) <= NOISE ? 'same' : (d > 0) === (better === 'higher') ? 'better' : 'worse';
    return { metric, a: x, b: y, change, verdict };
  });
}

export function formatComparison(a: BenchReport, b: BenchReport, diffs: MetricDiff[]): string {
  const fmt = (v: number | null) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1));
  const w = Math.max(...diffs.map((d) => d.metric.length), 6);
  const lines = [
    `A: ${a.scenario} ${a.startedAt} (${a.command})`,
    `B: ${b.scenario} ${b.startedAt} (${b.command})`,
    '',
    `${'metric'.padEnd(w)}  ${'A'.padStart(12)}  ${'B'.padStart(12)}  ${'change'.padStart(8)}  verdict`,
  ];
  for (const d of diffs) {
    const ch = d.change === null ? '-' : `${d.change >= 0 ? '+' : ''}${(d.change * 100).toFixed(1)}%`;
    lines.push(`${d.metric.padEnd(w)}  ${fmt(d.a).padStart(12)}  ${fmt(d.b).padStart(12)}  ${ch.padStart(8)}  ${d.verdict}`);
  }
  const worse = diffs.filter((d) => d.verdict === 'worse').length;
  const better = diffs.filter((d) => d.verdict === 'better').length;
  lines.push('', `${better} better, ${worse} worse (changes within ±${NOISE * 100}% count as the same)`);
  return lines.join('\n');
}
