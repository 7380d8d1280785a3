import { describe, expect, it } from 'vitest';
import { decide, validatePayload, type ContactRow } from './actions.ts';
import { parseCreateRequest, parseCsvIds } from './bulk.request.ts';

const row = (over: Partial<ContactRow> = {}): ContactRow => ({ id: 'c1', version: 3, deleted_at: null, tags: ['a'], owner_id: 'u1', first_name: 'Ann', ...over });
const NOW = '2026-01-01T00:00:00.000Z';

describe('decide', () => {
  it('changes a field and keeps its before-image', () => {
    expect(decide('update', { fields: { first_name: 'Bea' } }, 'c1', row(), NOW)).toEqual({ id: 'c1', kind: 'change', set: { first_name: 'Bea' }, before: { first_name: 'Ann' } });
  });
  it('skips with a reason: missing, deleted, unchanged, not deleted', () => {
    expect(decide('update', { fields: { first_name: 'Bea' } }, 'c9', undefined, NOW)).toMatchObject({ kind: 'skip', reason: 'not_found' });
    expect(decide('tag', { tags: ['b'] }, 'c1', row({ deleted_at: NOW }), NOW)).toMatchObject({ kind: 'skip', reason: 'deleted' });
    expect(decide('tag', { tags: ['a'] }, 'c1', row(), NOW)).toMatchObject({ kind: 'skip', reason: 'no_change' });
    expect(decide('restore', {}, 'c1', row(), NOW)).toMatchObject({ kind: 'skip', reason: 'not_deleted' });
    expect(decide('delete', {}, 'c1', row({ deleted_at: NOW }), NOW)).toMatchObject({ kind: 'skip', reason: 'already_deleted' });
  });
  it('tags, untags, deletes and assigns with the previous values as before-image', () => {
    expect(decide('tag', { tags: ['b', 'a'] }, 'c1', row(), NOW)).toMatchObject({ set: { tags: ['a', 'b'] }, before: { tags: ['a'] } });
    expect(decide('untag', { tags: ['a'] }, 'c1', row(), NOW)).toMatchObject({ set: { tags: [] }, before: { tags: ['a'] } });
    expect(decide('delete', {}, 'c1', row(), NOW)).toMatchObject({ set: { deleted_at: NOW }, before: { deleted_at: null } });
    expect(decide('assign_owner', { owner_id: 'u2' }, 'c1', row(), NOW)).toMatchObject({ set: { owner_id: 'u2' }, before: { owner_id: 'u1' } });
  });
  it('reverts to the before-image unless the contact changed since', () => {
    const image = { id: 'c1', version: 3, before: { first_name: 'Old' }, after: { first_name: 'Ann' } };
    expect(decide('revert', {}, 'c1', row({ version: 9, tags: ['z'] }), NOW, image)).toMatchObject({ kind: 'change', set: { first_name: 'Old' }, before: { first_name: 'Ann' } });
    expect(decide('revert', {}, 'c1', row({ first_name: 'Changed' }), NOW, image)).toMatchObject({ kind: 'skip', reason: 'modified_after_bulk_action' });
  });
});

describe('request validation', () => {
  it('names every invalid part', () => {
    expect(validatePayload('update', { fields: { password: 'x', status: null } })).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^payload\.fields\.password: not an updatable field/), 'payload.fields.status: cannot be null'],
    });
    const r = parseCreateRequest({ entity: 'leads', action: 'explode', target: { filter: { field: 'pw', op: 'eq', value: 1 } }, rate_limit_per_sec: 0 });
    expect(!r.ok && r.errors).toEqual([
      'entity: must be "contacts", got "leads"',
      expect.stringMatching(/^action: must be one of/),
      expect.stringMatching(/^target\.filter\.field: unknown field "pw"/),
      'rate_limit_per_sec: must be an integer from 1 to 1000000',
    ]);
  });
  it('reads ids from a CSV with or without a header, numbering data rows', () => {
    expect(parseCsvIds('email,id\na@x,c1\n\nb@x,"c2"\n')).toEqual({ ok: true, ids: ['c1', 'c2'], rows: [1, 2] });
    expect(parseCsvIds('c1\nc2\n')).toEqual({ ok: true, ids: ['c1', 'c2'], rows: [1, 2] });
  });
});
