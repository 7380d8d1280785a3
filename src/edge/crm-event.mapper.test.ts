import { describe, expect, it } from 'vitest';
import { crmEventType, toCrmEvent } from './crm-event.mapper.ts';
import { DATA_SCHEMAS } from './envelope.schema.ts';

const ctx = { tenantId: 'acme', source: 'api', receivedAt: 1_767_225_600_000 };

describe('toCrmEvent', () => {
  it('keeps the data zod schemas in step with the Avro records', () => {
    const fields = (name: string) => {
      const t = crmEventType() as unknown as { getField(n: string): { getType(): { getTypes?(): { getFields(): { getName(): string }[] }[] } } };
      const union = t.getField(name).getType().getTypes!();
      return union[1]!.getFields().map((f) => f.getName());
    };
    expect(Object.keys(DATA_SCHEMAS.lead.shape)).toEqual(fields('lead'));
    expect(Object.keys(DATA_SCHEMAS.contact.shape)).toEqual(fields('contact'));
    expect(Object.keys(DATA_SCHEMAS.opportunity.shape)).toEqual(fields('opportunity'));
  });

  it('builds a CrmEvent, accepting camelCase and keeping unknown fields as JSON strings in metadata', () => {
    const r = toCrmEvent(
      { type: 'lead.created', entity_id: 'l-1', occurred_at: '2026-01-01T00:00:00Z', data: { firstName: 'Ada', utmSource: 'x', shoe: 42 }, channel: 'web' },
      ctx,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toMatchObject({ tenant_id: 'acme', occurred_at: 1_767_225_600_000, received_at: ctx.receivedAt, lead: { first_name: 'Ada', utm_source: 'x', email: null } });
    expect(r.event.metadata).toEqual({ shoe: '42', channel: '"web"' });
    expect(r.event.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/); // UUIDv7
    expect(crmEventType().isValid(r.event)).toBe(true);
  });

  it('reports field paths for invalid input, and never takes the tenant from the body', () => {
    const r = toCrmEvent({ type: 'contact.updated', entity_id: '', occurred_at: 'soon', data: { tags: 'vip' }, tenant_id: 'evil' }, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['entity_id', 'occurred_at']));
    const ok = toCrmEvent({ type: 'contact.updated', entity_id: 'c', occurred_at: 1, tenant_id: 'evil' }, ctx);
    expect(ok.ok && ok.event.tenant_id).toBe('acme');
    const tags = toCrmEvent({ type: 'contact.updated', entity_id: 'c', occurred_at: 1, data: { tags: 'vip' } }, ctx);
    expect(!tags.ok && tags.errors[0]!.path).toBe('data.tags');
  });

  it('in lenient mode (seed 001) turns scalars into strings and moves objects to metadata', () => {
    const r = toCrmEvent({ type: 'lead.created', entity_id: 'l', occurred_at: 1, data: { click_id: 123, offer: { a: 1 } } }, ctx, { lenient: true });
    expect(r.ok && r.event.lead?.click_id).toBe('123');
    expect(r.ok && r.event.metadata).toEqual({ offer: '{"a":1}' });
  });
});

describe('uuidv7', () => {
  it('is a valid, time-ordered RFC 9562 version 7 UUID', async () => {
    const { uuidv7 } = await import('./uuid7.ts');
    const { validate, version } = await import('uuid');
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(1_767_225_600_000 + i));
    for (const id of ids.slice(0, 50)) {
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]!.slice(0, 13)).toBe(`${(1_767_225_600_000).toString(16).padStart(12, '0').slice(0, 8)}-${(1_767_225_600_000).toString(16).padStart(12, '0').slice(8)}`);
  });
});
