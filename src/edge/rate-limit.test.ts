// decisionsFor: what n requests taken together get, from the GCRA script's (admitted, ms ahead). It must give each
// request what n calls of cost 1, one after the other, would have given.
import { describe, expect, it } from 'vitest';
import { decisionsFor } from './rate-limit.middleware.ts';

/** Reference: plain GCRA, one request at a time, at the same instant (now = 0). */
function oneByOne(n: number, aheadMs: number, emissionMs: number, burst: number) {
  const tolerance = emissionMs * burst;
  let tat = aheadMs;
  return Array.from({ length: n }, () => {
    const next = tat + emissionMs;
    if (next - tolerance > 0) return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(next - tolerance), resetMs: Math.ceil(tat) };
    tat = next;
    return { allowed: true, remaining: Math.floor((tolerance - next) / emissionMs), retryAfterMs: 0, resetMs: Math.ceil(next) };
  });
}

describe('decisionsFor', () => {
  it('matches one-at-a-time GCRA for fresh, partly spent and exhausted buckets', () => {
    for (const [emission, burst] of [[1, 1000], [2000, 2], [1000 / 3, 7], [0.5, 2000]] as const) {
      for (const ahead of [0, emission, emission * (burst - 1), emission * burst - 0.5, emission * burst]) {
        const expected = oneByOne(12, ahead, emission, burst);
        const admitted = expected.filter((d) => d.allowed).length;
        expect(decisionsFor(12, admitted, ahead, emission, burst), `e=${emission} b=${burst} ahead=${ahead}`).toEqual(expected);
      }
    }
  });

  it('admits the first ones in arrival order and tells the rest when to retry', () => {
    const d = decisionsFor(4, 2, 0, 2000, 2);
    expect(d.map((x) => x.allowed)).toEqual([true, true, false, false]);
    expect(d.map((x) => x.remaining)).toEqual([1, 0, 0, 0]);
    expect(d[2]!.retryAfterMs).toBe(2000);
  });
});
