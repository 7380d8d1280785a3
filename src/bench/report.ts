// The bench report: one versioned JSON document (format "inflow-bench/1"), built from what the run collected. Pure.
import os from 'node:os';
import type { CeilingResult } from './ceilings/ceiling.types.ts';
import type { CorrectnessReport } from './correctness.ts';
import type { LagSample } from './lag.sampler.ts';
import type { ProcessSample } from './proc.sampler.ts';
import type { Recorder } from './recorder.ts';
import { ratio, round, slopePerS, type LatencySummary } from './stats.ts';

export const REPORT_FORMAT = 'inflow-bench/1';

export interface TimelinePoint {
  /** seconds since the load started */
  t: number;
  requestsPerS: number;
  acceptedPerS: number;
  appliedPerS: number | null;
  outcomesPerS: number | null;
  clickhousePerS: number | null;
  errorsPerS: number;
  p50: number;
  p90: number;
  p99: number;
}

export interface FindMaxStep {
  targetPerS: number;
  acceptedPerS: number;
  p99: number;
  errorRate: number;
  lagGrowth: number;
  ok: boolean;
}

export interface BenchReport {
  format: typeof REPORT_FORMAT;
  scenario: string;
  startedAt: string;
  finishedAt: string;
  command: string;
  target: string;
  machine: { hostname: string; cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string; note: string };
  options: Record<string, unknown>;
  summary: {
    loadSeconds: number;
    drainSeconds: number;
    requests: number;
    eventsSent: number;
    accepted: number;
    acceptedDistinct: number;
    duplicates: number;
    rejected: number;
    errors: number;
    errorsByStatus: Record<string, number>;
    statuses: Record<string, number>;
    acceptedPerS: number;
    requestsPerS: number;
    appliedPerS: number | null;
    outcomesPerS: number | null;
    clickhouseOutcomes: number | null;
    clickhouseOutcomesPerS: number | null;
    latencyMs: LatencySummary;
    latencyByKind: Record<string, LatencySummary>;
    e2eLatencyMs: LatencySummary | null;
    appliedByStatus: Record<string, number> | null;
    outcomesByStatus: Record<string, number> | null;
    backlog: number;
  };
  ceilings: CeilingResult[];
  ratios: Record<string, number | null>;
  timeline: TimelinePoint[];
  /** rssMb* hold PSS where the kernel offers it (shared pages split among processes), else RSS */
  processes: { name: string; cpuPctAvg: number; cpuPctMax: number; rssMbMax: number; rssMbSlopePerMin: number; samples: { t: number; cpuPct: number; rssMb: number }[] }[];
  lag: { group: string; topic: string; max: number; last: number; samples: { t: number; lag: number }[] }[];
  findMax: FindMaxStep[] | null;
  correctness: CorrectnessReport | null;
  notes: string[];
}

export interface ReportInput {
  scenario: string;
  startedAt: Date;
  finishedAt: Date;
  command: string;
  target: string;
  options: Record<string, unknown>;
  recorder: Recorder;
  loadMs: number;
  drainMs: number;
  backlog: number;
  /** cumulative applied count per sample, t in ms since the load started */
  applied: { t: number; total: number }[] | null;
  appliedByStatus: Record<string, number> | null;
  outcomesPerSecond: Map<number, number> | null;
  outcomesTotal: number | null;
  outcomesByStatus: Record<string, number> | null;
  e2e: LatencySummary | null;
  /** cumulative outcomes of the bench tenants in ClickHouse (analytics API), t in ms since the load started */
  clickhouse: { t: number; total: number }[] | null;
  ceilings: CeilingResult[];
  processes: ProcessSample[];
  lag: LagSample[];
  findMax: FindMaxStep[] | null;
  correctness: CorrectnessReport | null;
  notes: string[];
}

const perSecondFromTotals = (points: { t: number; total: number }[]) => {
  const out = new Map<number, number>();
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const dt = (b.t - a.t) / 1000;
    if (dt > 0) out.set(Math.round(b.t / 1000), round((b.total - a.total) / dt, 1));
  }
  return out;
};

/** Events/s over the span from the first to the last progress of a cumulative count (load + drain). */
function rateOverActivity(points: { t: number; total: number }[]): number | null {
  if (points.length < 2) return null;
  const base = points[0]!.total;
  const final = points[points.length - 1]!.total;
  if (final === base) return 0;
  const firstMove = points.findIndex((p) => p.total > base);
  const reachedFinal = points.findIndex((p) => p.total === final);
  const t0 = points[Math.max(0, firstMove - 1)]!.t;
  const t1 = points[reachedFinal]!.t;
  return t1 > t0 ? round((final - base) / ((t1 - t0) / 1000), 1) : null;
}

export function buildReport(i: ReportInput): BenchReport {
  const totals = i.recorder.totals();
  const loadS = i.loadMs / 1000;
  const appliedPerSecond = i.applied ? perSecondFromTotals(i.applied) : null;
  const chPerSecond = i.clickhouse ? perSecondFromTotals(i.clickhouse) : null;
  const seconds = Math.max(...[...i.recorder.windows.keys(), ...(appliedPerSecond?.keys() ?? []), ...(i.outcomesPerSecond?.keys() ?? []), 0]);
  const timeline: TimelinePoint[] = [];
  for (let s = 1; s <= seconds; s++) {
    const w = i.recorder.windows.get(s);
    timeline.push({
      t: s,
      requestsPerS: w?.requests ?? 0,
      acceptedPerS: w?.accepted ?? 0,
      appliedPerS: appliedPerSecond ? (appliedPerSecond.get(s) ?? null) : null,
      outcomesPerS: i.outcomesPerSecond ? (i.outcomesPerSecond.get(s) ?? 0) : null,
      clickhousePerS: chPerSecond ? (chPerSecond.get(s) ?? null) : null,
      errorsPerS: w?.errors ?? 0,
      p50: w ? round(w.latency.percentile(50)) : 0,
      p90: w ? round(w.latency.percentile(90)) : 0,
      p99: w ? round(w.latency.percentile(99)) : 0,
    });
  }
  const outcomeTotals: { t: number; total: number }[] = [];
  if (i.outcomesPerSecond) {
    let acc = 0;
    outcomeTotals.push({ t: 0, total: 0 });
    for (let s = 1; s <= seconds; s++) outcomeTotals.push({ t: s * 1000, total: (acc += i.outcomesPerSecond.get(s) ?? 0) });
  }
  const errorsByStatus = Object.fromEntries(Object.entries(i.recorder.statuses).filter(([k]) => !/^2\d\d$/.test(k)));
  const acceptedPerS = round(totals.accepted / loadS, 1);
  const appliedPerS = i.applied ? rateOverActivity(i.applied) : null;
  const outcomesPerS = i.outcomesPerSecond ? rateOverActivity(outcomeTotals) : null;
  const clickhouseOutcomesPerS = i.clickhouse ? rateOverActivity(i.clickhouse) : null;
  const ceiling = (n: CeilingResult['name']) => i.ceilings.find((c) => c.name === n && !c.error)?.eventsPerS;

  const byName = new Map<string, ProcessSample[]>();
  for (const p of i.processes) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const lagKey = new Map<string, LagSample[]>();
  for (const l of i.lag) lagKey.set(`${l.group}\u0000${l.topic}`, [...(lagKey.get(`${l.group}\u0000${l.topic}`) ?? []), l]);

  return {
    format: REPORT_FORMAT,
    scenario: i.scenario,
    startedAt: i.startedAt.toISOString(),
    finishedAt: i.finishedAt.toISOString(),
    command: i.command,
    target: i.target,
    machine: {
      hostname: os.hostname(),
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      note: 'the bench client, inflow and every service share this machine',
    },
    options: i.options,
    summary: {
      loadSeconds: round(loadS),
      drainSeconds: round(i.drainMs / 1000),
      ...totals,
      errorsByStatus,
      statuses: i.recorder.statuses,
      acceptedPerS,
      requestsPerS: round(totals.requests / loadS, 1),
      appliedPerS,
      outcomesPerS,
      clickhouseOutcomes: i.clickhouse ? i.clickhouse[i.clickhouse.length - 1]!.total - i.clickhouse[0]!.total : null,
      clickhouseOutcomesPerS,
      latencyMs: i.recorder.latency.summary(),
      latencyByKind: Object.fromEntries(Object.entries(i.recorder.byKind).map(([k, v]) => [k, v.latency.summary()])),
      e2eLatencyMs: i.e2e,
      appliedByStatus: i.appliedByStatus,
      outcomesByStatus: i.outcomesByStatus,
      backlog: i.backlog,
    },
    ceilings: i.ceilings,
    ratios: {
      'accepted / http': ratio(acceptedPerS, ceiling('http')),
      'accepted / broker': ratio(acceptedPerS, ceiling('broker')),
      'applied / postgres COPY': ratio(appliedPerS ?? undefined, ceiling('postgres')),
      'outcomes / clickhouse insert': ratio((clickhouseOutcomesPerS ?? outcomesPerS) ?? undefined, ceiling('clickhouse')),
    },
    timeline,
    processes: [...byName].map(([name, ps]) => {
      const live = ps.slice(1); // the first sample has no CPU delta
      return {
        name,
        cpuPctAvg: round(live.reduce((a, p) => a + p.cpuPct, 0) / Math.max(1, live.length), 1),
        cpuPctMax: Math.max(0, ...live.map((p) => p.cpuPct)),
        rssMbMax: Math.max(0, ...ps.map((p) => p.rssMb)),
        rssMbSlopePerMin: round(slopePerS(ps.map((p) => ({ t: p.t, v: p.rssMb }))) * 60, 1),
        samples: ps.map((p) => ({ t: round(p.t / 1000, 1), cpuPct: p.cpuPct, rssMb: p.rssMb })),
      };
    }),
    lag: [...lagKey.values()].map((ls) => ({
      group: ls[0]!.group,
      topic: ls[0]!.topic,
      max: Math.max(...ls.map((l) => l.lag)),
      last: ls[ls.length - 1]!.lag,
      samples: ls.map((l) => ({ t: round(l.t / 1000, 1), lag: l.lag })),
    })),
    findMax: i.findMax,
    correctness: i.correctness,
    notes: i.notes,
  };
}
