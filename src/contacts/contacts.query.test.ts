import { describe, expect, it } from 'vitest';
import { encodeCursor, parseListQuery } from './contacts.query.ts';
import { parseIfMatch } from './contacts.route.ts';

const q = (s: string) => {
  const params: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(s)) (params[k] ??= []).push(v);
  return parseListQuery(params);
};

describe('parseListQuery', () => {
  it('defaults to the newest first, 50 per page, deleted contacts hidden', () => {
    expect(q('')).toEqual({ ok: true, value: { filters: {}, sort: { field: 'created_at', dir: 'desc' }, limit: 50, q: undefined, deleted: 'exclude' } });
  });

  it('normalises filter values and accepts allow-listed sorts in both directions', () => {
    const r = q('email=Ada@Example.com&country=gb&sort=last_name&limit=10&q=%20ada%20');
    expect(r).toMatchObject({ ok: true, value: { filters: { email: 'ada@example.com', country: 'GB' }, sort: { field: 'last_name', dir: 'asc' }, limit: 10, q: 'ada' } });
  });

  it('names every bad parameter at once', () => {
    const r = q('sort=password&limit=0&nope=1&status=DROP%20TABLE&email=a&email=b&deleted=maybe');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.field).sort()).toEqual(['deleted', 'email', 'limit', 'nope', 'sort', 'status']);
  });

  it('round-trips a cursor for the same sort and refuses it for another or a forged value', () => {
    const cursor = encodeCursor({ field: 'created_at', dir: 'desc' }, { v: '2026-01-01 10:00:00.123456+00', id: 'c1' });
    expect(q(`cursor=${cursor}`)).toMatchObject({ ok: true, value: { cursor: { v: '2026-01-01 10:00:00.123456+00', id: 'c1' } } });
    expect(q(`cursor=${cursor}&sort=email`).ok).toBe(false);
    expect(q('cursor=garbage').ok).toBe(false);
    const forged = encodeCursor({ field: 'created_at', dir: 'desc' }, { v: "'; drop table contacts", id: 'c1' });
    expect(q(`cursor=${forged}`).ok).toBe(false);
  });
});

describe('parseIfMatch', () => {
  it('reads strong and weak ETags and * as any version', () => {
    expect(parseIfMatch('"3"')).toBe(3);
    expect(parseIfMatch('W/"12"')).toBe(12);
    expect(parseIfMatch('*')).toBeUndefined();
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('3')).toBe('invalid');
    expect(parseIfMatch('"abc"')).toBe('invalid');
  });
});
