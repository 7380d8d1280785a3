import { describe, expect, it } from 'vitest';
import { createHistogram, parseDuration, ratesFromTotals, ratio, slopePerS, sustainedRate } from './stats.ts';

describe('histogram', () => {
  it('gives percentiles within 1% of the exact ones', () => {
    const h = createHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 10); // 0.1 .. 1000 ms, uniform
    const s = h.summary();
    expect(s.count).toBe(10_000);
    expect(s.p50).toBeGreaterThan(500 * 0.99);
    expect(s.p50).toBeLessThan(500 * 1.01);
    expect(s.p99).toBeGreaterThan(990 * 0.99);
    expect(s.p99).toBeLessThan(990 * 1.01);
    expect(s.max).toBe(1000);
    expect(s.mean).toBeCloseTo(500.05, 1);
  });

  it('never reports a percentile above the maximum it saw', () => {
    const h = createHistogram();
    h.record(3.3);
    expect(h.percentile(99)).toBeLessThanOrEqual(3.3);
  });

  it('merges two histograms into the distribution of both', () => {
    const a = createHistogram();
    const b = createHistogram();
    for (let i = 0; i < 90; i++) a.record(1);
    for (let i = 0; i < 10; i++) b.record(100);
    a.merge(b);
    expect(a.count()).toBe(100);
    expect(a.percentile(50)).toBeCloseTo(1, 1);
    expect(a.percentile(95)).toBeGreaterThan(99);
    expect(a.summary().max).toBe(100);
  });

  it('reports zeros when empty', () => {
    expect(createHistogram().summary()).toMatchObject({ count: 0, p50: 0, p99: 0, max: 0 });
  });
});

describe('durations, rates, ratios', () => {
  it('parses the durations an SRE types', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('2')).toBe(2000);
    expect(() => parseDuration('soon')).toThrow(/invalid duration/);
  });

  it('turns cumulative counts into per-second rates', () => {
    expect(ratesFromTotals([{ t: 0, total: 0 }, { t: 1000, total: 500 }, { t: 3000, total: 1500 }])).toEqual([
      { t: 1000, perS: 500 },
      { t: 3000, perS: 500 },
    ]);
  });

  it('measures a sustained rate from the first to the last change', () => {
    const pts = [0, 0, 0, 100, 200, 300, 300, 300].map((total, i) => ({ t: i * 1000, total }));
    expect(sustainedRate(pts)).toBe(100);
  });

  it('gives ratios to a ceiling, or null without one', () => {
    expect(ratio(50, 200)).toBe(0.25);
    expect(ratio(50, undefined)).toBeNull();
  });

  it('fits a slope for memory growth', () => {
    expect(slopePerS([{ t: 0, v: 100 }, { t: 1000, v: 110 }, { t: 2000, v: 120 }])).toBeCloseTo(10);
  });
});
