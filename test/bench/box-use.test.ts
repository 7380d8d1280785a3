// The bench's box ceiling: cores busy and the rate every core would give at a phase's CPU per event.
import { describe, expect, it } from 'vitest';
import { boxUse } from '../../bench/pipeline/cpu.ts';

describe('boxUse', () => {
  it('averages the rounds, and turns CPU per event into cores busy and a ceiling', () => {
    // 12 000 events/s at 140 µs of box CPU an event keeps 1.68 cores busy; 2 cores give at most 14 286 events/s
    expect(boxUse(12_000, [{ box_us: 130 }, { box_us: 150 }], 2)).toEqual({ box_us: 140, cores_busy: 1.68, ceiling_events_per_s: 14_286 });
  });

  it('scales the ceiling with the cores', () => {
    expect(boxUse(30_000, [{ box_us: 60 }], 4).ceiling_events_per_s).toBe(66_667);
  });

  it('refuses a phase with no readings rather than dividing by zero', () => {
    expect(() => boxUse(1, [], 2)).toThrow(/at least one CPU reading/);
  });
});
