// The seed contracts at the edge: seed 001 POST /api/lead (its curl example verbatim), seed 002 AcmeCRM webhooks and
// Standard Webhooks sources (signature vectors) and the webhook simulator, seed 003 POST /ingest. Real broker,
// registry, Redis and Postgres.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmEvent } from '../../src/edge/crm-event.mapper.ts';
import { createEdgeApp } from '../../src/edge/edge.app.ts';
import { simulateWebhooks } from '../../src/edge/simulate.command.ts';
import { signAcme, signStandard } from '../../src/edge/webhook.signature.ts';
import { ensureTenant } from '../../src/accounts/api-keys.ts';
import { createDecoder } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { schemaType } from '../../src/schemas/schema-files.ts';
import { unique } from '../support/helpers.ts';
import { edgeFixture, type EdgeFixture } from './edge.setup.ts';

let f: EdgeFixture;
const NEW_SECRET = 'acme-new-secret';
const OLD_SECRET = 'acme-old-secret';
const decode = (buf: Buffer) => createDecoder(createSchemaRegistry(f.cfg.SCHEMA_REGISTRY_URL), schemaType('crm-event')).decode<CrmEvent>(buf);

beforeAll(async () => {
  f = await edgeFixture({ ACME_WEBHOOK_SECRET: `${NEW_SECRET},${OLD_SECRET}` });
});
afterAll(async () => {
  await f?.close();
});

// The seed 001 README's curl example, verbatim (headers and body).
const SEED_CURL_BODY = `{
    "click_id": "12345",
    "country": "LV",
    "email": "test@example.com",
    "firstName": "John",
    "lastName": "Doe",
    "phone": "+371123456789",
    "lang": "lv",
    "marker": "Pureshka",
    "offer": "Baltic Capital Native",
    "sourcetype": "web"
  }`;
const seedCurl = () =>
  f.request('/api/lead', {
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'test-key-123', 'X-Request-Id': 'req-123' },
    body: SEED_CURL_BODY,
  });

describe('seed 001: POST /api/lead', () => {
  it('runs the curl example: 201 with a lead_id, then 409 with the same lead_id when sent again', async () => {
    const first = await seedCurl();
    expect(first.status).toBe(201);
    const created = (await first.json()) as { ok: boolean; lead_id: string; deduplicated: boolean };
    expect(created).toEqual({ ok: true, lead_id: expect.stringMatching(/^[0-9a-f-]{36}$/), deduplicated: false });
    const second = await seedCurl();
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({ ok: true, lead_id: created.lead_id, deduplicated: true });

    const msg = await f.events.waitFor((m) => m.key === `${f.tenant}-leads:${created.lead_id}`);
    expect(msg.headers.request_id).toBe('req-123');
    const { value } = await decode(msg.value);
    expect(value).toMatchObject({
      tenant_id: `${f.tenant}-leads`,
      type: 'lead.created',
      source: 'lead_capture',
      idempotency_key: 'test-key-123',
      lead: { click_id: '12345', country: 'LV', email: 'test@example.com', first_name: 'John', last_name: 'Doe', phone: '+371123456789', lang: 'lv', marker: 'Pureshka', offer: 'Baltic Capital Native', sourcetype: 'web' },
    });
    expect(f.events.messages.filter((m) => m.key === msg.key)).toHaveLength(1);
  });

  it('treats the same key with another body as the same lead (the key is a hash of email|phone|date)', async () => {
    const key = unique('k');
    const a = await f.request('/api/lead', { headers: { 'idempotency-key': key }, json: { email: 'a@example.com' } });
    const b = await f.request('/api/lead', { headers: { 'idempotency-key': key }, json: { email: 'b@example.com' } });
    expect([a.status, b.status]).toEqual([201, 409]);
    expect(((await b.json()) as { lead_id: string }).lead_id).toBe(((await a.json()) as { lead_id: string }).lead_id);
  });

  it('lets concurrent sends of one key produce one lead: the other waits and answers 409 with the same lead_id', async () => {
    const key = unique('k');
    const replies = await Promise.all([1, 2, 3].map(() => f.request('/api/lead', { headers: { 'idempotency-key': key }, json: { email: 'c@example.com' } })));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409]);
    const ids = new Set(await Promise.all(replies.map(async (r) => ((await r.json()) as { lead_id: string }).lead_id)));
    expect(ids.size).toBe(1);
  });

  it('keeps unknown fields and non-string values (no validation) and answers 400 invalid_payload for non-objects', async () => {
    const res = await f.request('/api/lead', { json: { email: 'x@example.com', click_id: 98765, extra: { nested: true } } });
    expect(res.status).toBe(201);
    const { lead_id } = (await res.json()) as { lead_id: string };
    const { value } = await decode((await f.events.waitFor((m) => m.key === `${f.tenant}-leads:${lead_id}`)).value);
    expect(value.lead?.click_id).toBe('98765');
    expect(value.metadata).toEqual({ extra: '{"nested":true}' });

    const broken = await f.request('/api/lead', { headers: { 'content-type': 'application/json' }, body: '{"email": ' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ ok: false, error: 'invalid_payload' });
    const list = await f.request('/api/lead', { json: [1, 2] });
    expect(list.status).toBe(400);
    await f.dlq.waitFor((m) => m.headers.tenant_id === `${f.tenant}-leads` && m.value.toString() === '{"email": ');
  });

  it('answers 500 internal_error without details when something unexpected fails', async () => {
    const failing = createEdgeApp({
      ...f.runtime.deps,
      publisher: { ...f.runtime.publisher, publish: () => Promise.reject(new TypeError('boom at secret/place.ts:12')) },
    });
    const res = await failing.request('/api/lead', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"e@example.com"}' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ ok: false, error: 'internal_error' });

    // /v1/events rethrows what it does not know: the app's error handler answers, with the request's headers still on
    const events = await failing.request('/v1/events', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${f.key}`, 'x-request-id': 'req-boom-1' },
      body: JSON.stringify({ type: 'lead.created', entity_id: 'l-boom', occurred_at: Date.now(), consent: true, data: { email: 'b@example.com' } }),
    });
    expect(events.status).toBe(500);
    expect(await events.json()).toEqual({ error: 'internal_error' });
    expect(events.headers.get('x-request-id')).toBe('req-boom-1');
    expect(events.headers.get('ratelimit-limit')).toMatch(/^\d+$/);
  });

  it('uses the API key tenant when a key is sent, and 401 when no tenant can be found', async () => {
    const res = await f.request('/api/lead', { headers: { authorization: `Bearer ${f.key}` }, json: { email: 'k@example.com' } });
    expect(res.status).toBe(201);
    const { lead_id } = (await res.json()) as { lead_id: string };
    await f.events.waitFor((m) => m.key === `${f.tenant}:${lead_id}`);
    const noTenant = createEdgeApp({ ...f.runtime.deps, settings: { ...f.runtime.deps.settings, LEAD_CAPTURE_TENANT: undefined } });
    const denied = await noTenant.request('/api/lead', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(denied.status).toBe(401);
  });
});

describe('seed 002: POST /api/webhooks (AcmeCRM)', () => {
  const now = () => String(Math.floor(Date.now() / 1000));
  const delivery = (event = 'contact.created') =>
    JSON.stringify({ id: unique('dlv'), event, timestamp: new Date().toISOString(), data: { id: unique('c'), firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com', vip: true } });
  const post = (body: string, headers: Record<string, string>) => f.request('/api/webhooks', { headers: { 'content-type': 'application/json', ...headers }, body });
  const signed = (body: string, secret = NEW_SECRET, ts = now()) => post(body, { 'x-acme-timestamp': ts, 'x-acme-signature': signAcme(secret, ts, body) });

  it('accepts a valid delivery and maps it to a contact event of the Acme tenant', async () => {
    const body = delivery();
    const res = await signed(body);
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { ok: boolean; event_id: string; duplicate: boolean };
    expect(ack).toMatchObject({ ok: true, duplicate: false });
    const entity = (JSON.parse(body) as { data: { id: string } }).data.id;
    const { value } = await decode((await f.events.waitFor((m) => m.key === `${f.tenant}-acme:${entity}`)).value);
    expect(value).toMatchObject({ event_id: ack.event_id, type: 'contact.created', source: 'webhook:acme', contact: { first_name: 'Grace', last_name: 'Hopper', email: 'grace@example.com' }, metadata: { vip: 'true' } });
  });

  it('acknowledges a replayed delivery once more without a second event', async () => {
    const body = delivery('contact.updated');
    const first = await signed(body);
    const replay = await signed(body);
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ ok: true, duplicate: true });
    const entity = (JSON.parse(body) as { data: { id: string } }).data.id;
    const sentinel = JSON.stringify({ id: unique('dlv'), event: 'contact.deleted', data: { id: entity } });
    expect((await signed(sentinel)).status).toBe(200);
    const all = () => f.events.messages.filter((m) => m.key === `${f.tenant}-acme:${entity}`);
    await f.events.waitFor((m) => m.key === `${f.tenant}-acme:${entity}` && all().length >= 2);
    expect(all()).toHaveLength(2); // the update once, then the delete
  });

  it('accepts the old secret during a rotation', async () => {
    expect((await signed(delivery(), OLD_SECRET)).status).toBe(200);
  });

  it('refuses a wrong secret, a stale or future timestamp, a tampered body and missing headers with 401', async () => {
    const body = delivery();
    const reasons = async (res: Response) => [res.status, ((await res.json()) as { error: string }).error];
    expect(await reasons(await signed(body, 'not-the-secret'))).toEqual([401, 'invalid_signature']);
    expect(await reasons(await signed(body, NEW_SECRET, String(Math.floor(Date.now() / 1000) - 301)))).toEqual([401, 'timestamp_out_of_tolerance']);
    expect(await reasons(await signed(body, NEW_SECRET, String(Math.floor(Date.now() / 1000) + 301)))).toEqual([401, 'timestamp_out_of_tolerance']);
    const ts = now();
    const tampered = body.replace('Grace', 'Mallory');
    expect(await reasons(await post(tampered, { 'x-acme-timestamp': ts, 'x-acme-signature': signAcme(NEW_SECRET, ts, body) }))).toEqual([401, 'invalid_signature']);
    expect(await reasons(await post(body, {}))).toEqual([401, 'missing_headers']);
  });

  it('answers 422 for a signed payload that maps to no event, keeping its bytes in the DLQ', async () => {
    const body = JSON.stringify({ id: unique('dlv'), event: 'contact.merged', data: { id: 'c-1' } });
    const res = await signed(body);
    expect(res.status).toBe(422);
    await f.dlq.waitFor((m) => m.value.toString() === body && m.headers.source === 'webhook:acme');
  });
});

describe('inflow simulate webhooks (seed 002 simulator)', () => {
  it('signs and sends deliveries at the given rate over HTTP, replays some, and sums them up by status', async () => {
    const server = serve({ fetch: f.runtime.app.fetch, port: 0, hostname: '127.0.0.1' });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const mine = () => f.events.messages.filter((m) => m.key.startsWith(`${f.tenant}-acme:`)).length;
    const before = mine();
    try {
      const summary = await simulateWebhooks({ target: `http://127.0.0.1:${port}/api/webhooks`, rate: 200, count: 40, secret: NEW_SECRET, scheme: 'acme', replayRatio: 0.25, progress: false });
      expect(summary).toMatchObject({ sent: 40, byStatus: { '200': 40 } });
      expect(summary.p99Ms).toBeGreaterThan(0);
      // every delivery that was not a replay became exactly one event; the replays none
      await f.events.waitFor(() => mine() >= before + 40 - summary.duplicates);
      expect(mine() - before).toBe(40 - summary.duplicates);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('POST /v1/webhooks/:source (Standard Webhooks)', () => {
  const name = unique('src');
  const oldSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const newSecret = `whsec_${randomBytes(24).toString('base64')}`;
  beforeAll(async () => {
    await ensureTenant(f.sql, `${f.tenant}-hooks`);
    await f.sql`insert into webhook_sources (name, tenant_id, secrets) values (${name}, ${`${f.tenant}-hooks`}, ${[newSecret, oldSecret]})`;
  });
  const payload = () => JSON.stringify({ type: 'opportunity.won', timestamp: '2026-02-01T12:00:00Z', data: { id: unique('opp'), amount: 5000, stage: 'won' } });
  const send = (body: string, id: string, signature: string, ts = String(Math.floor(Date.now() / 1000))) =>
    f.request(`/v1/webhooks/${name}`, { headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature }, body });

  it('verifies any of several signatures (rotation), maps the payload and acknowledges a replayed webhook-id once', async () => {
    const body = payload();
    const id = unique('msg');
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = `v1,${Buffer.alloc(32).toString('base64')} ${signStandard(oldSecret, id, ts, body)}`;
    const res = await send(body, id, sig, ts);
    expect(res.status).toBe(200);
    const entity = (JSON.parse(body) as { data: { id: string } }).data.id;
    const { value } = await decode((await f.events.waitFor((m) => m.key === `${f.tenant}-hooks:${entity}`)).value);
    expect(value).toMatchObject({ type: 'opportunity.won', source: `webhook:${name}`, occurred_at: Date.parse('2026-02-01T12:00:00Z'), opportunity: { amount: 5000, stage: 'won' } });
    const replay = await send(body, id, signStandard(newSecret, id, ts, body), ts);
    expect(await replay.json()).toMatchObject({ ok: true, duplicate: true });
  });

  it('refuses bad signatures and timestamps with 401 and unknown sources with 404', async () => {
    const body = payload();
    const id = unique('msg');
    const ts = String(Math.floor(Date.now() / 1000));
    expect((await send(body, id, signStandard(`whsec_${randomBytes(24).toString('base64')}`, id, ts, body), ts)).status).toBe(401);
    const stale = String(Math.floor(Date.now() / 1000) - 600);
    expect((await send(body, id, signStandard(newSecret, id, stale, body), stale)).status).toBe(401);
    expect((await send(`${body} `, id, signStandard(newSecret, id, ts, body), ts)).status).toBe(401);
    const unknown = await f.request('/v1/webhooks/no-such-source', { headers: { 'content-type': 'application/json' }, body });
    expect(unknown.status).toBe(404);
  });
});

describe('seed 003: POST /ingest', () => {
  it('accepts a LeadEvent with 202 and dedups by idempotency_key', async () => {
    const key = unique('ik');
    const leadEvent = { idempotency_key: key, source: 'web_form', first_name: 'Lin', email: 'lin@example.com', consent: true, ip_address: '203.0.113.9', utm_campaign: 'spring' };
    const res = await f.request('/ingest', { headers: { authorization: `Bearer ${f.key}` }, json: leadEvent });
    expect(res.status).toBe(202);
    const ack = (await res.json()) as { accepted: boolean; event_id: string; duplicate: boolean };
    expect(ack).toMatchObject({ accepted: true, duplicate: false });
    const again = await f.request('/ingest', { headers: { authorization: `Bearer ${f.key}` }, json: leadEvent });
    expect(await again.json()).toEqual({ accepted: true, event_id: ack.event_id, duplicate: true });
    const msg = await f.events.waitFor((m) => m.value.includes(Buffer.from(ack.event_id)));
    const { value } = await decode(msg.value);
    expect(value).toMatchObject({ source: 'ingest', consent: true, lead: { first_name: 'Lin', email: 'lin@example.com', ip: '203.0.113.9', utm_campaign: 'spring' }, metadata: { source: '"web_form"' } });
  });

  it('answers 422 for an invalid LeadEvent and 401 without a key', async () => {
    const res = await f.request('/ingest', { headers: { authorization: `Bearer ${f.key}` }, json: { first_name: 'No email' } });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('"path":"email"');
    expect((await f.request('/ingest', { json: { email: 'a@b.c' } })).status).toBe(401);
  });
});
