import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEventGenerator, createRandom } from './events.gen.ts';
import { acceptedIds, createRequestFactory } from './scenarios.ts';

describe('event generator', () => {
  it('keeps every entity inside the cardinality and its occurred_at strictly increasing', () => {
    const g = createEventGenerator({ tenants: 2, cardinality: 5, now: () => 1_000 });
    const last = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const e = g.next();
      const key = `${e.tenant}:${String(e.body.entity_id)}`;
      expect(Number(String(e.body.entity_id).split('-')[1])).toBeLessThan(5);
      expect(e.body.occurred_at as number).toBeGreaterThan(last.get(key) ?? 0);
      last.set(key, e.body.occurred_at as number);
    }
  });

  it('creates an entity first, then updates it', () => {
    const g = createEventGenerator({ tenants: 1, cardinality: 1 });
    const types = Array.from({ length: 20 }, () => String(g.next().body.type));
    const first = new Map<string, string>();
    for (const t of types) if (!first.has(t.split('.')[0]!)) first.set(t.split('.')[0]!, t);
    for (const t of first.values()) expect(t).toMatch(/\.created$/);
  });

  it('sends the asked share of resends (same id, same tenant) and of invalid events', () => {
    const g = createEventGenerator({ tenants: 3, cardinality: 1000, duplicateShare: 0.1, invalidShare: 0.05, seed: 7 });
    const seen = new Map<string, number>();
    let resends = 0;
    let invalid = 0;
    for (let i = 0; i < 10_000; i++) {
      const t = i % 3;
      const e = g.next(t);
      expect(e.tenant).toBe(t);
      if (e.resend) {
        resends++;
        expect(seen.get(e.eventId)).toBe(t);
      }
      if (!e.valid) invalid++;
      seen.set(e.eventId, e.tenant);
    }
    expect(resends / 10_000).toBeGreaterThan(0.08);
    expect(resends / 10_000).toBeLessThan(0.12);
    expect(invalid / 10_000).toBeGreaterThan(0.03);
    expect(invalid / 10_000).toBeLessThan(0.07);
  });

  it('is deterministic for a seed', () => {
    expect(createRandom(1)()).toBe(createRandom(1)());
  });
});

describe('request factory', () => {
  const keys = [['k0a', 'k0b'], ['k1a']];

  it('puts 100 events of one tenant in a batch, with that tenant\'s key, round-robin', () => {
    const next = createRequestFactory({ scenario: 'ingest-batch', batch: 100, keys, generator: createEventGenerator({ tenants: 2, cardinality: 100 }) });
    const used = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = next();
      const body = JSON.parse(r.body.toString()) as { events: { event_id: string }[] };
      expect(body.events).toHaveLength(100);
      expect(r.eventIds).toEqual(body.events.map((e) => e.event_id));
      expect(keys[r.tenant]!.map((k) => `Bearer ${k}`)).toContain(r.headers.authorization);
      used.add(r.headers.authorization!);
    }
    expect(used.size).toBe(3);
  });

  it('sends one bare event per request for ingest-single', () => {
    const r = createRequestFactory({ scenario: 'ingest-single', batch: 1, keys, generator: createEventGenerator({ tenants: 2, cardinality: 100 }) })();
    const body = JSON.parse(r.body.toString()) as { event_id: string; type: string };
    expect(body.event_id).toBe(r.eventIds[0]);
    expect(r.path).toBe('/v1/events');
  });

  it('mixes lead capture and AcmeCRM webhooks signed over timestamp.body', () => {
    const next = createRequestFactory({ scenario: 'mixed', batch: 10, keys, acmeSecret: 's3cret', generator: createEventGenerator({ tenants: 2, cardinality: 100 }), random: createRandom(3) });
    const kinds = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const r = next();
      kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
      if (r.kind === 'webhook') {
        const ts = r.headers['x-acme-timestamp']!;
        expect(r.headers['x-acme-signature']).toBe(createHmac('sha256', 's3cret').update(`${ts}.${r.body.toString()}`).digest('hex'));
      }
    }
    expect(kinds.get('batch')).toBeGreaterThan(700);
    expect(kinds.get('lead')).toBeGreaterThan(50);
    expect(kinds.get('webhook')).toBeGreaterThan(50);
  });

  it('reads accepted ids, duplicates and rejections from the edge answer', () => {
    const req = { kind: 'batch', method: 'POST' as const, path: '/v1/events', headers: {}, body: Buffer.alloc(0), events: 3, tenant: 0, eventIds: ['a', 'b', 'c'] };
    expect(acceptedIds(req, 202, JSON.stringify({ accepted: 2, event_ids: ['a', 'c'], duplicates: ['c'], rejected: [{ index: 1, errors: [] }] }))).toEqual({ accepted: ['a', 'c'], duplicates: 1, rejected: 1 });
    expect(acceptedIds(req, 422, '{}')).toEqual({ accepted: [], duplicates: 0, rejected: 3 });
    expect(acceptedIds(req, 503, '')).toEqual({ accepted: [], duplicates: 0, rejected: 0 });
  });
});
