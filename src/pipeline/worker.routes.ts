// The worker's HTTP surface: the control API (seed 000), DLQ tools, and "where is my event".
// Every route needs a credential; the tenant comes from it. start/stop act on the whole pool (every worker process).
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Admin, Producer } from 'kafkajs';
import type { ApiKeyVerifier } from '../accounts/api-keys.ts';
import { authenticate, type TokenVerifier } from '../accounts/auth.middleware.ts';
import { toCrmEvent } from '../edge/crm-event.mapper.ts';
import type { Sql } from '../infra/postgres.ts';
import { encode } from '../schemas/avro.codec.ts';
import type { SchemaRegistry } from '../schemas/registry.client.ts';
import { readSchema, schemaType, subjectFor } from '../schemas/schema-files.ts';
import type { DlqFilter, DlqService } from './dlq.service.ts';
import type { Outcome } from './event.types.ts';
import { decodeOutcomeRecord } from './record.encoder.ts';
import type { WorkerStatus } from './worker.ts';

/** What the routes drive: createWorker (inline) or the process pool (its status adds `workers`). */
export interface WorkerControl {
  pause(): void | Promise<void>;
  resume(): void | Promise<void>;
  status(): WorkerStatus | Promise<WorkerStatus>;
}

export interface WorkerRoutesDeps {
  worker: WorkerControl;
  dlq: DlqService;
  sql: Sql;
  admin: Admin;
  producer: Producer;
  registry: SchemaRegistry;
  apiKeys: ApiKeyVerifier;
  tokens?: TokenVerifier;
  groupId: string;
  eventsTopic: string;
}

/** Committed offset vs high watermark per partition, from the broker (true even when the pool is idle or paused). */
export async function groupLag(admin: Admin, groupId: string, topic: string) {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  const partitions = ends.map((e) => {
    const high = Number(e.high);
    const c = at.get(e.partition) ?? -1;
    const lag = c < 0 ? high - Number(e.low) : Math.max(0, high - c);
    return { partition: e.partition, committed: c < 0 ? null : c, high, lag };
  }).sort((a, b) => a.partition - b.partition);
  return { total: partitions.reduce((s, p) => s + p.lag, 0), partitions };
}

function dlqFilter(q: Record<string, string | undefined>, tenantId: string): DlqFilter {
  const since = q.since ? new Date(q.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new HTTPException(400, { message: 'since: an ISO 8601 time' });
  const limit = q.limit ? Number(q.limit) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 10_000)) throw new HTTPException(400, { message: 'limit: 1..10000' });
  return { tenantId, reason: q.reason, since, eventId: q.event_id, limit, includeReplayed: q.include_replayed === 'true' };
}

export function createWorkerRoutes(deps: WorkerRoutesDeps): Hono {
  const app = new Hono();
  const admin = authenticate({ apiKeys: deps.apiKeys, tokens: deps.tokens, scope: 'admin' });
  const read = authenticate({ apiKeys: deps.apiKeys, tokens: deps.tokens, scope: 'read' });

  // rates: a sample of the processed total every 5 s, a minute kept
  const samples: { at: number; total: number }[] = [];
  const total = async () => Object.values((await deps.worker.status()).processed).reduce((a, b) => a + b, 0);
  setInterval(() => {
    void total().then((n) => {
      samples.push({ at: Date.now(), total: n });
      if (samples.length > 13) samples.shift();
    });
  }, 5_000).unref();
  const ratePerSecond = () => {
    const first = samples[0];
    const last = samples[samples.length - 1];
    return first && last && last.at > first.at ? (last.total - first.total) / ((last.at - first.at) / 1000) : 0;
  };

  app.post('/api/v1/crm-ingestion/start', admin, async (c) => {
    await deps.worker.resume();
    return c.json({ ok: true, status: 'running' });
  });
  app.post('/api/v1/crm-ingestion/stop', admin, async (c) => {
    await deps.worker.pause();
    return c.json({ ok: true, status: 'paused' });
  });
  app.get('/api/v1/crm-ingestion/metrics', admin, async (c) => {
    const status = await deps.worker.status();
    return c.json({
      processed: status.processed,
      total: Object.values(status.processed).reduce((a, b) => a + b, 0),
      rate_per_second: Number(ratePerSecond().toFixed(2)),
      lag: await groupLag(deps.admin, deps.groupId, deps.eventsTopic),
    });
  });
  app.get('/api/v1/crm-ingestion/status', admin, async (c) => {
    const status = await deps.worker.status();
    return c.json({ ...status, state: status.paused ? 'paused' : status.retrying ? 'retrying' : status.running ? 'running' : 'stopped', lag: await groupLag(deps.admin, deps.groupId, deps.eventsTopic) });
  });
  app.post('/api/v1/crm-ingestion/enqueue', admin, async (c) => {
    const body: unknown = await c.req.json().catch(() => {
      throw new HTTPException(400, { message: 'a JSON body: one event or { "events": [...] }' });
    });
    const list = typeof body === 'object' && body !== null && Array.isArray((body as { events?: unknown }).events) ? (body as { events: unknown[] }).events : [body];
    const tenantId = c.get('principal').tenantId;
    const receivedAt = Date.now();
    const mapped = list.map((input) => toCrmEvent(input, { tenantId, source: 'enqueue', receivedAt }));
    const errors = mapped.flatMap((m, index) => (m.ok ? [] : [{ index, errors: m.errors }]));
    if (errors.length) return c.json({ ok: false, error: 'invalid_events', errors }, 400);
    const events = mapped.flatMap((m) => (m.ok ? [m.event] : []));
    const id = await deps.registry.register(subjectFor(deps.eventsTopic), readSchema('crm-event'));
    const type = schemaType('crm-event');
    await deps.producer.send({
      topic: deps.eventsTopic,
      acks: -1,
      messages: events.map((e) => ({ key: `${e.tenant_id}:${e.entity_id}`, value: encode(type, id, e) })),
    });
    return c.json({ ok: true, accepted: events.map((e) => ({ event_id: e.event_id })) }, 202);
  });

  app.get('/v1/dlq', admin, async (c) => c.json({ items: await deps.dlq.list(dlqFilter(c.req.query(), c.get('principal').tenantId)) }));
  app.get('/v1/dlq/:id{[0-9]+}', admin, async (c) => {
    const entry = await deps.dlq.show(Number(c.req.param('id')), c.get('principal').tenantId);
    if (!entry) throw new HTTPException(404, { message: 'no such dead letter' });
    return c.json(entry);
  });
  app.post('/v1/dlq/replay', admin, async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, string | undefined>;
    const filter = dlqFilter(body, c.get('principal').tenantId);
    if (!filter.reason && !filter.eventId && !filter.since) throw new HTTPException(400, { message: 'give a filter: reason, event_id or since' });
    return c.json(await deps.dlq.replay(filter));
  });

  app.get('/v1/events/:event_id', read, async (c) => {
    const tenantId = c.get('principal').tenantId;
    const eventId = c.req.param('event_id');
    const [p] = await deps.sql<{ status: string; reason: string | null; topic: string; partition: number; offset: string; entity_type: string | null; entity_id: string | null; entity_version: string | null; outcome_record: Buffer | null; outcome: Outcome | null; processed_at: Date }[]>`
      select status, reason, topic, partition, "offset"::text as offset, entity_type, entity_id, entity_version::text, outcome_record, outcome, processed_at
      from processed_events where tenant_id = ${tenantId} and event_id = ${eventId} order by processed_at desc limit 1 -- pipeline.events.where`;
    const outcome = p ? (p.outcome_record ? decodeOutcomeRecord(p.outcome_record) : p.outcome!) : null; // json before sql/023
    const dlq = await deps.dlq.list({ tenantId, eventId, includeReplayed: true });
    if (!p && dlq.length === 0) return c.json({ event_id: eventId, state: 'unknown', hint: 'not processed yet, or older than the dedup window' }, 404);
    let current: { version: string; deleted_at: Date | null } | undefined;
    if (p?.entity_type && p.entity_id) {
      const table = { lead: 'leads', contact: 'contacts', opportunity: 'opportunities' }[p.entity_type];
      if (table) [current] = await deps.sql<{ version: string; deleted_at: Date | null }[]>`select version::text, deleted_at from ${deps.sql(table)} where tenant_id = ${tenantId} and id = ${p.entity_id} -- pipeline.events.entity`;
    }
    return c.json({
      event_id: eventId,
      accepted: p && outcome ? { at: new Date(outcome.received_at).toISOString(), topic: p.topic, partition: p.partition, offset: Number(p.offset) } : null,
      outcome: p && outcome ? { status: p.status, reason: p.reason, outcome_id: outcome.outcome_id, processed_at: p.processed_at.toISOString() } : null,
      entity: p?.entity_id ? { type: p.entity_type, id: p.entity_id, version_applied: p.entity_version ? Number(p.entity_version) : null, current_version: current ? Number(current.version) : null, deleted: !!current?.deleted_at } : null,
      dead_letters: dlq.map((d) => ({ id: d.id, reason: d.reason, at: d.created_at, replayed_at: d.replayed_at })),
    });
  });
  return app;
}
