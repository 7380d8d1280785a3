// POST /v1/events against the real stack: every status code, a mixed batch, gzip, the DLQ, edge idempotency,
// the shared rate limit, 503 when the broker is gone, and a record decoded by a separate consumer via the registry.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { createEdgeApp } from '../../src/edge/edge.app.ts';
import type { CrmEvent } from '../../src/edge/crm-event.mapper.ts';
import { producerBatchSize, producerErrors } from '../../src/edge/edge.metrics.ts';
import { createRateLimiter } from '../../src/edge/rate-limit.middleware.ts';
import { createKafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { renderMetrics } from '../../src/infra/metrics.ts';
import { createDecoder, readSchemaId } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { schemaType } from '../../src/schemas/schema-files.ts';
import { unique } from '../support/helpers.ts';
import { edgeFixture, runtimeFor, type EdgeFixture } from './edge.setup.ts';

let f: EdgeFixture;
const auth = () => ({ authorization: `Bearer ${f.key}` });
// A fresh registry client, as a separate consumer would have: the writer schema is looked up by id.
const decoder = () => createDecoder(createSchemaRegistry(f.cfg.SCHEMA_REGISTRY_URL), schemaType('crm-event'));

type TestEvent = Record<string, unknown> & { entity_id: string; event_id: string };
function lead(overrides: Record<string, unknown> = {}): TestEvent {
  return {
    type: 'lead.created',
    entity_id: unique('lead'),
    occurred_at: '2026-01-15T10:30:00Z',
    consent: true,
    data: { first_name: 'Ada', email: 'ada@example.com', utm_source: 'newsletter', favourite_colour: 'green', score: 7 },
    ...overrides,
  } as unknown as TestEvent;
}

beforeAll(async () => {
  f = await edgeFixture({ EDGE_MAX_BODY_BYTES: '65536', EDGE_MAX_BATCH_EVENTS: '50' });
});
afterAll(async () => {
  await f?.close();
});

describe('POST /v1/events', () => {
  it('accepts one event with 202 only after the broker acked it, as Confluent-framed Avro a separate consumer decodes', async () => {
    const event = lead();
    const res = await f.request('/v1/events', { headers: { ...auth(), 'x-request-id': 'req-single-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, json: event });
    expect(res.status).toBe(202);
    // the reply carries the request id and the rate-limit headers set before the route answered
    expect(res.headers.get('x-request-id')).toBe('req-single-1');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('ratelimit-limit')).toMatch(/^\d+$/);
    expect(res.headers.get('ratelimit-remaining')).toMatch(/^\d+$/);
    const body = (await res.json()) as { accepted: number; event_ids: string[]; duplicates: string[]; rejected: unknown[] };
    expect(body).toMatchObject({ accepted: 1, duplicates: [], rejected: [] });
    const [eventId] = body.event_ids;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/); // a UUIDv7 was assigned

    const msg = await f.events.waitFor((m) => m.key === `${f.tenant}:${event.entity_id}`);
    expect(msg.headers).toMatchObject({ request_id: 'req-single-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(msg.value.readUInt8(0)).toBe(0);
    expect(readSchemaId(msg.value)).toBe(await f.runtime.publisher.schemaId());
    const { value } = await decoder().decode<CrmEvent>(msg.value);
    expect(value).toMatchObject({
      event_id: eventId,
      tenant_id: f.tenant,
      type: 'lead.created',
      entity_id: event.entity_id,
      occurred_at: Date.parse('2026-01-15T10:30:00Z'),
      source: 'api',
      consent: true,
      request_id: 'req-single-1',
      lead: { first_name: 'Ada', email: 'ada@example.com', utm_source: 'newsletter', last_name: null },
      contact: null,
      metadata: { favourite_colour: '"green"', score: '7' },
    });
  });

  it('accepts the valid events of a mixed batch, lists the invalid ones by index and sends their raw bytes to the DLQ', async () => {
    const good1 = lead();
    const bad = { type: 'opportunity.won', entity_id: unique('opp'), occurred_at: 'yesterday', data: { amount: 'lots' } };
    const good2 = { type: 'opportunity.created', entity_id: unique('opp'), occurred_at: 1767225600000, data: { name: 'Deal', amount: 1200.5, currency: 'EUR' } };
    const res = await f.request('/v1/events', { headers: auth(), json: { events: [good1, bad, good2] } });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; event_ids: string[]; rejected: { index: number; errors: { path: string }[] }[] };
    expect(body.accepted).toBe(2);
    expect(body.rejected).toHaveLength(1);
    expect(body.rejected[0]!.index).toBe(1);
    expect(body.rejected[0]!.errors.map((e) => e.path)).toContain('occurred_at');

    const dead = await f.dlq.waitFor((m) => m.headers.reason === 'invalid_event' && m.headers.index === '1' && m.value.toString().includes(bad.entity_id));
    expect(JSON.parse(dead.value.toString())).toEqual(bad);
    expect(dead.headers.tenant_id).toBe(f.tenant);
    const opp = await f.events.waitFor((m) => m.key === `${f.tenant}:${good2.entity_id}`);
    const { value } = await decoder().decode<CrmEvent>(opp.value);
    expect(value.opportunity).toMatchObject({ name: 'Deal', amount: 1200.5, currency: 'EUR' });
  });

  it('answers 422 with field paths for one schema-invalid event', async () => {
    const res = await f.request('/v1/events', { headers: auth(), json: { type: 'opportunity.won', entity_id: 'o-1', occurred_at: 5, data: { amount: 'lots' } } });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: string; rejected: { index: number; errors: { path: string; message: string }[] }[] };
    expect(body.error).toBe('invalid_event');
    expect(body.rejected[0]!.errors[0]!.path).toBe('data.amount');
    const unknownType = await f.request('/v1/events', { headers: auth(), json: { type: 'lead.exploded', entity_id: 'x', occurred_at: 5 } });
    expect(unknownType.status).toBe(422);
  });

  it('answers 400 for malformed JSON and keeps the raw bytes in the DLQ with a reason header', async () => {
    const raw = `{"type":"lead.created","entity_id":"${unique('broken')}",`;
    const res = await f.request('/v1/events', { headers: { ...auth(), 'content-type': 'application/json' }, body: raw });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'malformed_json', message: 'the body is not valid JSON' });
    const dead = await f.dlq.waitFor((m) => m.value.toString() === raw);
    expect(dead.headers).toMatchObject({ reason: 'malformed_json', tenant_id: f.tenant, source: 'api' });
  });

  it('answers 415 for a content type that is not JSON', async () => {
    const res = await f.request('/v1/events', { headers: { ...auth(), 'content-type': 'text/plain' }, body: 'type=lead.created' });
    expect(res.status).toBe(415);
  });

  it('answers 413 for a body over the limit and for too many events', async () => {
    const big = await f.request('/v1/events', { headers: auth(), json: lead({ data: { message: 'x'.repeat(70_000) } }) });
    expect(big.status).toBe(413);
    const many = await f.request('/v1/events', { headers: auth(), json: { events: Array.from({ length: 51 }, () => lead()) } });
    expect(many.status).toBe(413);
    const bomb = gzipSync(Buffer.from(JSON.stringify(lead({ data: { message: ' '.repeat(200_000) } }))));
    const gz = await f.request('/v1/events', { headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb });
    expect(gz.status).toBe(413);
  });

  it('accepts a gzip-encoded batch', async () => {
    const events = [lead(), lead()];
    const res = await f.request('/v1/events', {
      headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from(JSON.stringify({ events }))),
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(2);
    await f.events.waitFor((m) => m.key === `${f.tenant}:${events[1]!.entity_id}`);
  });

  it('answers 401 without a key or with a bad one, and 403 for a key without the ingest scope', async () => {
    expect((await f.request('/v1/events', { json: lead() })).status).toBe(401);
    const bad = await f.request('/v1/events', { headers: { authorization: 'Bearer ifk_not-a-real-key-at-all-000000' }, json: lead() });
    expect(bad.status).toBe(401);
    expect(await bad.text()).not.toMatch(/at .*\.ts/); // no stack traces
    expect((await f.request('/v1/events', { headers: { authorization: `Bearer ${f.readKey}` }, json: lead() })).status).toBe(403);
  });
});

describe('the batching producer', () => {
  it('lets concurrent requests share produce batches, each request answered after its own messages are acked', async () => {
    const stats = async () => {
      const m = await producerBatchSize.get();
      const value = (name: string) => m.values.find((v) => v.metricName === name)?.value ?? 0;
      return { batches: value('edge_producer_batch_messages_count'), messages: value('edge_producer_batch_messages_sum') };
    };
    const before = await stats();
    const events = Array.from({ length: 60 }, () => lead());
    const statuses = await Promise.all(events.map((e) => f.request('/v1/events', { headers: auth(), json: e }).then((r) => r.status)));
    expect(statuses.every((s) => s === 202)).toBe(true);
    const after = await stats();
    expect(after.messages - before.messages).toBe(60);
    expect(after.batches - before.batches).toBeLessThan(30); // 60 requests, far fewer produce requests
    for (const e of events) await f.events.waitFor((m) => m.key === `${f.tenant}:${e.entity_id}`);
  });
});

describe('edge idempotency', () => {
  it('flags a client event_id seen before as a duplicate and does not produce it again', async () => {
    const event = lead({ event_id: unique('evt') });
    const first = await f.request('/v1/events', { headers: auth(), json: event });
    expect(first.status).toBe(202);
    const again = await f.request('/v1/events', { headers: auth(), json: event });
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ accepted: 1, event_ids: [event.event_id], duplicates: [event.event_id] });
    // A later event for the same entity lands on the same partition after any second copy would have.
    const sentinel = lead({ entity_id: event.entity_id, event_id: unique('evt') });
    expect((await f.request('/v1/events', { headers: auth(), json: sentinel })).status).toBe(202);
    await f.events.waitFor((m) => m.key === `${f.tenant}:${event.entity_id}` && m.value.includes(Buffer.from(sentinel.event_id)));
    expect(f.events.messages.filter((m) => m.value.includes(Buffer.from(event.event_id)))).toHaveLength(1);
  });

  it('rejects an event_id reused with a different body with 422', async () => {
    const event = lead({ event_id: unique('evt') });
    expect((await f.request('/v1/events', { headers: auth(), json: event })).status).toBe(202);
    const changed = await f.request('/v1/events', { headers: auth(), json: { ...event, consent: false } });
    expect(changed.status).toBe(422);
    expect(JSON.stringify(await changed.json())).toContain('event_id');
  });

  it('replays the original result for a repeated Idempotency-Key, 422 for a different body, 409 for a concurrent one', async () => {
    const key = unique('idem');
    const body = { events: [lead(), lead()] };
    const first = await f.request('/v1/events', { headers: { ...auth(), 'idempotency-key': key }, json: body });
    expect(first.status).toBe(202);
    const original = (await first.json()) as { event_ids: string[] };
    const replay = await f.request('/v1/events', { headers: { ...auth(), 'idempotency-key': key }, json: body });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toMatchObject({ event_ids: original.event_ids, duplicates: original.event_ids });
    const other = await f.request('/v1/events', { headers: { ...auth(), 'idempotency-key': key }, json: { events: [lead()] } });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { error: string }).error).toBe('idempotency_key_reused');

    const raceKey = unique('race');
    const race = lead();
    const statuses = await Promise.all([1, 2].map(() => f.request('/v1/events', { headers: { ...auth(), 'idempotency-key': raceKey }, json: race }).then((r) => r.status)));
    expect(statuses.sort()).toEqual([202, 409]);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After and RateLimit headers once a key spends its budget, shared by every edge process', async () => {
    const logger = createLogger(f.cfg);
    const tight = () => createRateLimiter({ redis: f.redis, logger }, { perSecond: 0.5, burst: 2 });
    // Two apps = two edge processes sharing Redis: the budget is per key, not per process.
    const appA = createEdgeApp({ ...f.runtime.deps, limiter: tight() });
    const appB = createEdgeApp({ ...f.runtime.deps, limiter: tight() });
    const { key: freshKey } = await createApiKey(f.sql, { tenantId: f.tenant, scopes: ['ingest'] });
    const sendWith = (app: typeof appA) =>
      app.request('/v1/events', { method: 'POST', headers: { authorization: `Bearer ${freshKey}`, 'content-type': 'application/json' }, body: JSON.stringify(lead()) });
    const a1 = await sendWith(appA);
    expect(a1.status).toBe(202);
    expect(a1.headers.get('ratelimit-limit')).toBeTruthy();
    expect(Number(a1.headers.get('ratelimit-remaining'))).toBeGreaterThanOrEqual(0);
    const statuses = [(await sendWith(appB)).status, (await sendWith(appA)).status, (await sendWith(appB)).status];
    expect(statuses).toContain(429);
    const limited = await sendWith(appB);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('ratelimit-reset')).toMatch(/^\d+$/);
  });
});

describe('broker unavailable', () => {
  it('answers 503 with Retry-After, never 2xx, and frees the event_id for the retry', async () => {
    const cfg = { ...f.cfg, KAFKA_BROKERS: '127.0.0.1:1', EDGE_PRODUCE_TIMEOUT_MS: 1500 };
    const dead = runtimeFor(cfg, { sql: f.sql, redis: f.redis, kafka: createKafka(cfg) });
    try {
      const event = lead({ event_id: unique('evt') });
      const errorsBefore = (await producerErrors.get()).values.reduce((n, v) => n + v.value, 0);
      const res = await dead.app.request('/v1/events', { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(event) });
      expect(res.status).toBe(503);
      // The failed batch marked the producer indeterminate: it was dropped for a fresh one.
      expect((await producerErrors.get()).values.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(errorsBefore);
      expect(res.headers.get('retry-after')).toBe('2');
      const ready = await dead.app.request('/ready');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ok: false, broker: false, registry: true });
      // The client retries against a healthy edge: accepted as new, not a duplicate of the failed attempt.
      const retry = await f.request('/v1/events', { headers: auth(), json: event });
      expect(retry.status).toBe(202);
      expect(((await retry.json()) as { duplicates: string[] }).duplicates).toEqual([]);
    } finally {
      await dead.close();
    }
  });
});

describe('operations', () => {
  it('is ready when broker and registry answer, serves /openapi.json, and counts events in /metrics', async () => {
    const ready = await f.runtime.app.request('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, broker: true, registry: true });
    const doc = (await (await f.runtime.app.request('/openapi.json')).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/events', '/api/lead', '/api/webhooks', '/v1/webhooks/{source}', '/ingest']));
    expect(doc.components.schemas).toHaveProperty('EventEnvelope');
    const { body } = await renderMetrics();
    expect(body).toMatch(/ingest_api_events_total\{source="api",status="accepted"\} \d+/);
    expect(body).toContain('ingest_api_latency_seconds_bucket');
  });
});

describe('rate limit under concurrency', () => {
  it('coalesces concurrent requests for one key into few Redis calls and admits exactly the budget, in order', async () => {
    const limiter = createRateLimiter({ redis: f.redis, logger: createLogger(f.cfg) }, { perSecond: 0.5, burst: 5 });
    const bucket = unique('rl-burst');
    const scriptCalls = async () => {
      const stats = await f.redis.info('commandstats');
      return [...stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    };
    await limiter.take(unique('rl-warm')); // loads the script (EVALSHA, then EVAL once on NOSCRIPT)
    const before = await scriptCalls();
    const decisions = await Promise.all(Array.from({ length: 40 }, () => limiter.take(bucket)));
    expect(await scriptCalls() - before).toBeLessThanOrEqual(3); // the first alone, the 39 others together
    expect(decisions.map((d) => d.allowed)).toEqual([...Array(5).fill(true), ...Array(35).fill(false)]);
    expect(decisions.slice(0, 5).map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0]);
    expect(decisions[5]!.retryAfterMs).toBeGreaterThan(1000);
    // and the same key, one request at a time, sees the budget spent
    expect((await limiter.take(bucket)).allowed).toBe(false);
    // a second limiter (another edge process) shares it
    const other = createRateLimiter({ redis: f.redis, logger: createLogger(f.cfg) }, { perSecond: 0.5, burst: 5 });
    expect((await other.take(bucket)).allowed).toBe(false);
    expect((await other.take(unique('rl-other'))).allowed).toBe(true);
  });
});
