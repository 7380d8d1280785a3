import { describe, expect, it } from 'vitest';
import { compileFilter, deletedCondition } from './filter.compile.ts';

describe('compileFilter', () => {
  it('compiles nested and/or/not into parameterized SQL over allow-listed columns', () => {
    const r = compileFilter(
      { and: [{ field: 'country', op: 'eq', value: 'FR' }, { or: [{ field: 'tags', op: 'has', value: 'vip' }, { not: { field: 'email', op: 'contains', value: '50%_off' } }] }] },
      3,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.filter.text).toBe('(c.country = $3::text and (c.tags @> array[$4::text] or (not coalesce(c.email ilike $5::text, false))))');
    expect(r.filter.params).toEqual(['FR', 'vip', '%50\\%\\_off%']);
  });

  it('keeps injection attempts as parameter values, never as SQL text', () => {
    const evil = "x'; drop table contacts; --";
    const r = compileFilter({ field: 'email', op: 'eq', value: evil });
    expect(r.ok && r.filter.text).toBe('c.email = $1::text');
    expect(r.ok && r.filter.params).toEqual([evil]);
  });

  it('rejects unknown fields, operators and keys, naming every invalid part', () => {
    const r = compileFilter({
      and: [
        { field: 'email; drop table contacts', op: 'eq', value: 'a' },
        { field: 'email', op: 'or 1=1', value: 'a' },
        { field: 'country', op: 'in', value: 'FR' },
        { field: 'tenant_id', op: 'eq', value: 'other' },
        { field: 'status', op: 'eq', value: 'x', sql: 'true' },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(5);
    expect(r.errors[0]).toMatch(/^filter\.and\[0\]\.field: unknown field/);
    expect(r.errors[1]).toMatch(/^filter\.and\[1\]\.op: unknown operator "or 1=1"/);
    expect(r.errors[2]).toMatch(/^filter\.and\[2\]\.value: must be a non-empty array/);
    expect(r.errors[3]).toMatch(/^filter\.and\[3\]\.field: unknown field "tenant_id"/);
    expect(r.errors[4]).toMatch(/^filter\.and\[4\]: unknown key\(s\) "sql"/);
  });

  it('rejects prototype keys, too-deep trees and bad timestamps', () => {
    expect(compileFilter({ field: '__proto__', op: 'eq', value: 'x' }).ok).toBe(false);
    let deep: unknown = { field: 'id', op: 'eq', value: 'x' };
    for (let i = 0; i < 7; i++) deep = { not: deep };
    expect(compileFilter(deep).ok).toBe(false);
    const t = compileFilter({ field: 'updated_at', op: 'gt', value: 'yesterday' });
    expect(!t.ok && t.errors).toEqual(['filter.value: must be an ISO 8601 timestamp']);
  });

  it('adds the implicit deleted condition unless the filter mentions deleted', () => {
    const live = compileFilter({ field: 'country', op: 'eq', value: 'FR' });
    const any = compileFilter({ field: 'deleted', op: 'eq', value: true });
    expect(live.ok && deletedCondition('update', live.filter)).toBe('c.deleted_at is null');
    expect(live.ok && deletedCondition('restore', live.filter)).toBe('c.deleted_at is not null');
    expect(any.ok && deletedCondition('update', any.filter)).toBe('true');
  });
});
