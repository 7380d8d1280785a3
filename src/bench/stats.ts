// Pure statistics for the bench: a log-bucketed latency histogram (HDR-like, ~1% relative error), durations, rates.

/** Bucket width: 1% relative precision is plenty for p50..p99.9 and keeps a histogram to a few hundred keys. */
const LOG_STEP = Math.log(1.01);

export interface Histogram {
  record(valueMs: number): void;
  merge(other: Histogram): void;
  count(): number;
  percentile(p: number): number;
  summary(): LatencySummary;
  /** bucket -> count, for merging and serialising */
  readonly buckets: Map<number, number>;
  readonly extremes: { min: number; max: number; sum: number };
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const bucketOf = (ms: number) => (ms <= 0.001 ? 0 : Math.max(0, Math.round(Math.log(ms * 1000) / LOG_STEP)));
const valueOf = (bucket: number) => (bucket === 0 ? 0 : Math.exp(bucket * LOG_STEP) / 1000);

export function createHistogram(): Histogram {
  const buckets = new Map<number, number>();
  const extremes = { min: Number.POSITIVE_INFINITY, max: 0, sum: 0 };
  let n = 0;
  const h: Histogram = {
    buckets,
    extremes,
    record(ms) {
      const b = bucketOf(ms);
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
      n++;
      extremes.sum += ms;
      if (ms > extremes.max) extremes.max = ms;
      if (ms < extremes.min) extremes.min = ms;
    },
    merge(other) {
      for (const [b, c] of other.buckets) buckets.set(b, (buckets.get(b) ?? 0) + c);
      n += other.count();
      extremes.sum += other.extremes.sum;
      extremes.max = Math.max(extremes.max, other.extremes.max);
      extremes.min = Math.min(extremes.min, other.extremes.min);
    },
    count: () => n,
    percentile(p) {
      if (n === 0) return 0;
      const rank = Math.ceil((p / 100) * n);
      let seen = 0;
      for (const b of [...buckets.keys()].sort((a, c) => a - c)) {
        seen += buckets.get(b)!;
        if (seen >= rank) return Math.min(valueOf(b), extremes.max);
      }
      return extremes.max;
    },
    summary() {
      return {
        count: n,
        mean: n ? round(extremes.sum / n) : 0,
        p50: round(h.percentile(50)),
        p90: round(h.percentile(90)),
        p99: round(h.percentile(99)),
        p999: round(h.percentile(99.9)),
        max: round(extremes.max),
      };
    },
  };
  return h;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "60s", "5m", "1h", "1500ms" or a bare number of seconds -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration "${text}": use e.g. 500ms, 60s, 5m, 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** Counts per second from a cumulative series [{t (ms since start), total}]. */
export function ratesFromTotals(points: { t: number; total: number }[]): { t: number; perS: number }[] {
  const out: { t: number; perS: number }[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const dt = (b.t - a.t) / 1000;
    out.push({ t: b.t, perS: dt > 0 ? round((b.total - a.total) / dt, 1) : 0 });
  }
  return out;
}

/** Events/s over the window where the count went from its first to its last value (first..last change). */
export function sustainedRate(points: { t: number; total: number }[]): number {
  const first = points.findIndex((p) => p.total > (points[0]?.total ?? 0));
  if (first < 0) return 0;
  const start = points[Math.max(0, first - 1)]!;
  const end = points.find((p) => p.total === points[points.length - 1]!.total)!;
  const dt = (end.t - start.t) / 1000;
  return dt > 0 ? round((end.total - start.total) / dt, 1) : 0;
}

/** Ratio of a measured rate to its ceiling, as a fraction (null when there is no ceiling). */
export function ratio(value: number | undefined, ceiling: number | undefined): number | null {
  if (!value || !ceiling) return null;
  return round(value / ceiling, 3);
}

/** A least-squares slope (units per second) of a series, for RSS growth in soak runs. */
export function slopePerS(points: { t: number; v: number }[]): number {
  if (points.length < 2) return 0;
  const xs = points.map((p) => p.t / 1000);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = points.reduce((a, p) => a + p.v, 0) / points.length;
  let num = 0;
  let den = 0;
  points.forEach((p, i) => {
    num += (xs[i]! - mx) * (p.v - my);
    den += (xs[i]! - mx) ** 2;
  });
  return den ? num / den : 0;
}
