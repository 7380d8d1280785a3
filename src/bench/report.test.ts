import { describe, expect, it } from 'vitest';
import { compareReports, formatComparison } from './compare.ts';
import { checkCorrectness } from './correctness.ts';
import { parseProducerPerf } from './ceilings/broker.ceiling.ts';
import { parseBenchOptions } from './bench.options.ts';
import { renderHtml } from './report.html.ts';
import { sampleReport } from './report.fixture.ts';
import { REPORT_FORMAT } from './report.ts';
import { formatSummary } from './summary.ts';
import { niceTicks } from './svg.chart.ts';

describe('report', () => {
  const r = sampleReport();

  it('is versioned and carries rates, latency and ratios to the ceilings', () => {
    expect(r.format).toBe(REPORT_FORMAT);
    expect(r.summary.acceptedPerS).toBe(19_600);
    expect(r.summary.appliedPerS).toBeCloseTo(19_600, -2);
    expect(r.ratios['accepted / http']).toBeCloseTo(r.summary.acceptedPerS / 400_000, 3);
    expect(r.ratios['applied / postgres COPY']).toBeCloseTo(r.summary.appliedPerS! / 60_000, 3);
    expect(r.summary.errorsByStatus).toEqual({ '503': 120 });
    expect(r.summary.latencyMs.p99).toBeGreaterThan(r.summary.latencyMs.p50);
    expect(r.timeline).toHaveLength(32);
    expect(r.processes.find((p) => p.name === 'inflow :3000')!.rssMbSlopePerMin).toBeCloseTo(60, 0);
  });

  it('renders a self-contained page: inline SVG charts with a path per series, no script, no remote URL', () => {
    const html = renderHtml(r);
    for (const id of ['chart-throughput', 'chart-latency', 'chart-lag', 'chart-cpu', 'chart-rss']) expect(html).toContain(`id="${id}"`);
    expect(html.match(/<path class="series"/g)!.length).toBeGreaterThanOrEqual(3 + 3 + 1 + 3 + 3);
    expect(html).not.toMatch(/<script|<link|(src|href)=["']?https?:/);
    expect(html).toContain('PASS');
  });

  it('escapes what it did not write itself', () => {
    const evil = { ...r, command: '<img src=x onerror=alert(1)>' };
    expect(renderHtml(evil)).not.toContain('<img src=x');
  });

  it('prints a summary with every ratio to its ceiling and the correctness verdict', () => {
    const text = formatSummary(r);
    expect(text).toMatch(/accepted .* events\/s .*% of ceiling/);
    expect(text).toMatch(/correctness: PASS/);
    expect(text).toMatch(/broker .*90,000 \/s/);
  });
});

describe('compare', () => {
  it('names what got better and what got worse', () => {
    const a = sampleReport({ acceptedPerS: 20_000, p99: 60 });
    const b = sampleReport({ acceptedPerS: 10_000, p99: 600 });
    const diffs = compareReports(a, b);
    expect(diffs.find((d) => d.metric === 'accepted events/s')).toMatchObject({ verdict: 'worse' });
    expect(diffs.find((d) => d.metric === 'client latency p99 ms')).toMatchObject({ verdict: 'worse' });
    expect(compareReports(b, a).find((d) => d.metric === 'accepted events/s')).toMatchObject({ verdict: 'better' });
    expect(diffs.find((d) => d.metric === 'ceiling broker /s')).toMatchObject({ verdict: 'same', change: 0 });
    expect(formatComparison(a, b, diffs)).toMatch(/accepted events\/s\s+[\d.]+\s+[\d.]+\s+-50\.0%\s+worse/);
  });

  it('refuses a file that is not a bench report', () => {
    expect(() => compareReports(sampleReport(), { format: 'x' } as never)).toThrow(/inflow-bench\/1/);
  });
});

describe('correctness', () => {
  it('lists missing and doubled ids', () => {
    const accepted = new Map([['a', 1], ['b', 1], ['c', 2], ['d', 1]]);
    const r = checkCorrectness({ accepted, applied: new Map([['a', 1], ['b', 2], ['c', 1], ['x', 1]]), outcomes: new Map<string, string | string[]>([['a', 'o1'], ['b', ['o2', 'o3']], ['c', 'o4'], ['d', ['o5', 'o5']]]) });
    expect(r.ok).toBe(false);
    expect(r.missingApplied).toEqual({ count: 1, sample: ['d'] });
    expect(r.doubledApplied).toEqual({ count: 1, sample: ['b'] });
    expect(r.doubledOutcome).toEqual({ count: 1, sample: ['b'] });
    expect(r.missingOutcome.count).toBe(0);
    expect(r.untracked).toBe(1);
  });

  it('passes when every accepted event was applied once with one outcome (resent acks included)', () => {
    const r = checkCorrectness({ accepted: new Map([['a', 2]]), applied: new Map([['a', 1]]), outcomes: new Map([['a', 'o1']]) });
    expect(r.ok).toBe(true);
  });

  it('does not pass what it could not check', () => {
    expect(checkCorrectness({ accepted: new Map([['a', 1]]), applied: undefined, outcomes: new Map([['a', 'o']]) }).ok).toBe(false);
  });
});

describe('options and parsing', () => {
  const defaults = { url: 'http://127.0.0.1:3000', outDir: '/tmp' };
  it('uses the scenario defaults', () => {
    const o = parseBenchOptions('ingest-batch', { duration: '60s' }, defaults);
    expect(o).toMatchObject({ batch: 100, durationMs: 60_000, rate: undefined, connections: 16, ceilings: ['http', 'broker', 'postgres', 'clickhouse'] });
    expect(parseBenchOptions('soak', {}, defaults)).toMatchObject({ rate: 5000, durationMs: 600_000 });
  });
  it('reports every bad option at once', () => {
    expect(() => parseBenchOptions('ingest-nope', { duration: '60s', count: '10', batch: '1000', ceilings: 'http,gpu' }, defaults)).toThrow(
      /scenario "ingest-nope"[\s\S]*--duration and --count[\s\S]*--batch 1000[\s\S]*--ceilings gpu/,
    );
  });
  it('parses the producer-perf summary line', () => {
    const out = 'junk\n500000 records sent, 81234.5 records/sec (23.24 MB/sec), 310.2 ms avg latency, 912.0 ms max latency, 290 ms 50th, 700 ms 95th, 850 ms 99th, 900 ms 99.9th.\n';
    expect(parseProducerPerf(out)).toEqual({ recordsPerS: 81234.5, mbPerS: 23.24, avgMs: 310.2, maxMs: 912, p50: 290, p99: 850 });
    expect(parseProducerPerf('nothing')).toBeUndefined();
  });
  it('picks round chart ticks', () => {
    expect(niceTicks(23_000)).toEqual([0, 5000, 10000, 15000, 20000, 25000]);
  });
});
