import { describe, expect, it } from 'vitest';
import { dataCertainlyValid, envelopeCertainlyValid } from './envelope.fast-check.ts';
import { DATA_SCHEMAS, EnvelopeBaseSchema, type EntityKind } from './envelope.schema.ts';

const base = { type: 'lead.created', entity_id: 'l-1', occurred_at: 1_767_225_600_000, consent: true, data: { email: 'a@b.c' } };
const variants: Record<string, unknown>[] = [
  base,
  { ...base, event_id: 'e-1' },
  { ...base, event_id: '' },
  { ...base, event_id: 'x'.repeat(128) },
  { ...base, event_id: 'x'.repeat(129) },
  { ...base, event_id: null },
  { ...base, event_id: 7 },
  { ...base, type: 'lead.exploded' },
  { ...base, type: undefined },
  { ...base, type: 'opportunity.won' },
  { ...base, entity_id: '' },
  { ...base, entity_id: 'e'.repeat(256) },
  { ...base, entity_id: 'e'.repeat(257) },
  { ...base, entity_id: 12 },
  { ...base, occurred_at: 0 },
  { ...base, occurred_at: -1 },
  { ...base, occurred_at: 1.5 },
  { ...base, occurred_at: 8_640_000_000_000 },
  { ...base, occurred_at: 8_640_000_000_001 },
  { ...base, occurred_at: Number.NaN },
  { ...base, occurred_at: Number.POSITIVE_INFINITY },
  { ...base, occurred_at: '2026-01-15T10:30:00Z' },
  { ...base, occurred_at: '2026-01-15T10:30:00+02:00' },
  { ...base, occurred_at: '2026-01-15T10:30:00' },
  { ...base, occurred_at: '2026-01-15' },
  { ...base, occurred_at: 'yesterday' },
  { ...base, occurred_at: null },
  { ...base, occurred_at: undefined },
  { ...base, consent: null },
  { ...base, consent: undefined },
  { ...base, consent: 'yes' },
  { ...base, consent: 1 },
  { ...base, data: null },
  { ...base, data: undefined },
  { ...base, data: [] },
  { ...base, data: 'x' },
  { ...base, data: Object.create(null) as object },
  { ...base, data: new Date() },
  { ...base, metadata: { a: 1 } },
  { ...base, metadata: [1] },
  { ...base, metadata: null },
  { ...base, extra: { deep: true } },
];

describe('envelopeCertainlyValid', () => {
  it('never vouches for an envelope zod rejects', () => {
    for (const v of variants) {
      if (envelopeCertainlyValid(v)) expect(EnvelopeBaseSchema.safeParse(v).success, JSON.stringify(v)).toBe(true);
    }
  });
  it('vouches for the common shapes (epoch and ISO timestamps, extra fields)', () => {
    expect(envelopeCertainlyValid(base)).toBe(true);
    expect(envelopeCertainlyValid({ ...base, occurred_at: '2026-01-15T10:30:00Z', event_id: 'e-1', metadata: { a: 1 }, extra: 1 })).toBe(true);
  });
});

describe('dataCertainlyValid', () => {
  const cases: [EntityKind, Record<string, unknown>][] = [
    ['lead', { first_name: 'Ada', email: null, phone: undefined }],
    ['lead', { first_name: 'x'.repeat(10_000) }],
    ['lead', { first_name: 'x'.repeat(10_001) }],
    ['lead', { first_name: 42 }],
    ['lead', { first_name: {} }],
    ['contact', { tags: ['a', 'b'] }],
    ['contact', { tags: null }],
    ['contact', { tags: [1] }],
    ['contact', { tags: 'a' }],
    ['contact', { tags: ['t'.repeat(1_001)] }],
    ['contact', { tags: Array.from({ length: 1_001 }, () => 'a') }],
    ['opportunity', { amount: 12.5, stage: 'won' }],
    ['opportunity', { amount: null }],
    ['opportunity', { amount: '12' }],
    ['opportunity', { amount: Number.NaN }],
    ['opportunity', { amount: Number.POSITIVE_INFINITY }],
  ];
  it('never vouches for data zod rejects, and vouches for plain valid data', () => {
    for (const [kind, data] of cases) {
      const zod = DATA_SCHEMAS[kind].safeParse(data).success;
      if (dataCertainlyValid(kind, data)) expect(zod, `${kind} ${JSON.stringify(data)}`).toBe(true);
      else expect(zod, `${kind} ${JSON.stringify(data)} is valid: the fast check should say so`).toBe(false);
    }
  });
});

// toCrmEvent skips avsc's isValid pass when both checks vouch: that is only sound if every event they vouch for is
// valid for the CrmEvent Avro schema. Checked over every envelope variant above crossed with every data case.
describe('vouched events are valid Avro', () => {
  it('builds a schema-valid CrmEvent from every envelope and data the fast checks vouch for', async () => {
    const { crmEventType, toCrmEvent } = await import('./crm-event.mapper.ts');
    const type = crmEventType();
    const datas: Record<string, unknown>[] = [
      { first_name: 'Ada', email: null, phone: undefined, unknown_extra: { x: [1, 'two'] } },
      { first_name: 'x'.repeat(10_000), utmSource: 'camelCase' },
      { tags: ['a', 'b'], title: 'CTO' },
      { amount: 12.5, stage: 'won', expected_close_date: '2027-01-31' },
      { amount: -0, currency: '' },
      {},
    ];
    const typeFor = { lead: 'lead.created', contact: 'contact.updated', opportunity: 'opportunity.won' } as const;
    let vouched = 0;
    for (const v of variants) {
      for (const data of datas) {
        for (const kind of ['lead', 'contact', 'opportunity'] as const) {
          const input = { ...v, type: v.type === base.type ? typeFor[kind] : v.type, data };
          if (!envelopeCertainlyValid(input)) continue;
          const r = toCrmEvent(input, { tenantId: 't', source: 'api', receivedAt: 1_767_225_600_000, requestId: 'r', traceparent: null });
          if (!r.ok) continue;
          vouched++;
          expect(type.isValid(r.event), JSON.stringify(input)).toBe(true);
        }
      }
    }
    expect(vouched).toBeGreaterThan(100);
  });
});
