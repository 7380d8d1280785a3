import { describe, expect, it } from 'vitest';
import { isoDayOf, isoOf } from './iso.time.ts';

describe('isoOf', () => {
  it('is exactly toISOString, across days, years, the epoch and far dates', () => {
    const samples = [
      0, 1, -1, 999, 1000, 86_399_999, 86_400_000, -86_400_000, -86_400_001, Date.UTC(2026, 10, 24, 23, 59, 59, 999), Date.UTC(2026, 10, 25),
      Date.UTC(2024, 1, 29, 12, 0, 0, 5), Date.UTC(1969, 11, 31, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1),
      Date.UTC(-1, 0, 1), -62_198_755_200_000, 8.64e15, -8.64e15,
    ];
    let seed = 42;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor((rand() - 0.5) * 2 * 4e12)); // ±127 years, any ms
    for (let i = 0; i < 2_000; i++) samples.push(Date.UTC(2026, 10, 24) + Math.floor(rand() * 2 * 86_400_000)); // same days, cache hits
    for (const ms of samples) expect(isoOf(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('keeps Date\'s behaviour for fractional and invalid times', () => {
    expect(isoOf(1.5)).toBe(new Date(1.5).toISOString());
    expect(isoOf(Date.UTC(2026, 0, 1) + 0.25)).toBe(new Date(Date.UTC(2026, 0, 1) + 0.25).toISOString());
    expect(() => isoOf(Number.NaN)).toThrow(RangeError);
    expect(() => isoOf(8.64e15 + 1)).toThrow(RangeError);
  });

  it('gives the UTC day', () => {
    expect(isoDayOf(Date.UTC(2026, 10, 24, 23, 59, 59, 999))).toBe('2026-11-24');
    expect(isoDayOf(-1)).toBe('1969-12-31');
  });
});
