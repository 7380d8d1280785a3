// The worker's HTTP routes through app.request: control API (seed 000), DLQ, where-is-my-event. Real stack, real worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createApiKeyVerifier } from '../../src/accounts/api-keys.ts';
import { createDlqService } from '../../src/pipeline/dlq.service.ts';
import type { Worker } from '../../src/pipeline/worker.ts';
import { createWorkerRoutes } from '../../src/pipeline/worker.routes.ts';
import { unique } from '../support/helpers.ts';
import { pipelineEnv, readOutcomes, startWorker, waitFor, type PipelineEnv } from './pipeline.support.ts';
import type { Admin } from 'kafkajs';
import type { Hono } from 'hono';

let env: PipelineEnv;
let worker: Worker;
let admin: Admin;
let app: Hono;
let adminKey: string;
let ingestKey: string;

beforeAll(async () => {
  env = await pipelineEnv('routes');
  worker = await startWorker(env);
  admin = env.kafka.admin();
  await admin.connect();
  adminKey = (await createApiKey(env.sql, { tenantId: env.tenant, scopes: ['admin', 'read'] })).key;
  ingestKey = (await createApiKey(env.sql, { tenantId: env.tenant, scopes: ['ingest'] })).key;
  app = createWorkerRoutes({
    worker, sql: env.sql, admin, producer: env.producer, registry: env.registry, apiKeys: createApiKeyVerifier(env.sql),
    dlq: createDlqService({ sql: env.sql, producer: env.producer }, { eventsTopic: env.topics.events }),
    groupId: env.groupId, eventsTopic: env.topics.events,
  });
});
afterAll(async () => {
  await worker?.stop();
  await admin?.disconnect();
  await env?.close();
});

const call = (method: string, path: string, body?: unknown, key = adminKey) =>
  app.request(path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

async function enqueue(events: object[]): Promise<string[]> {
  const res = await call('POST', '/api/v1/crm-ingestion/enqueue', { events });
  expect(res.status).toBe(202);
  return ((await res.json()) as { accepted: { event_id: string }[] }).accepted.map((a) => a.event_id);
}

describe('the worker routes', () => {
  it('refuse a missing credential (401) and a credential without the admin scope (403)', async () => {
    expect((await app.request('/api/v1/crm-ingestion/status')).status).toBe(401);
    expect((await call('GET', '/api/v1/crm-ingestion/status', undefined, ingestKey)).status).toBe(403);
  });

  it('enqueue events, then tell where each one went: outcome, entity and version, or its dead letter', async () => {
    const leadId = unique('lead');
    const [applied, rejected] = await enqueue([
      { type: 'lead.created', entity_id: leadId, occurred_at: new Date().toISOString(), consent: true, data: { email: ' Q@X.io ' } },
      { type: 'lead.created', entity_id: unique('lead'), occurred_at: Date.now(), consent: false, data: { email: 'no@x.io' } },
    ]);
    await readOutcomes(env, (os) => [applied, rejected].every((id) => os.some((o) => o.event_id === id)));

    const where = (await (await call('GET', `/v1/events/${applied}`)).json()) as Record<string, Record<string, unknown>>;
    expect(where.outcome).toMatchObject({ status: 'applied' });
    expect(where.entity).toMatchObject({ type: 'lead', id: leadId, version_applied: 1, current_version: 1 });
    expect(where.accepted).toMatchObject({ topic: env.topics.events });
    const gone = (await (await call('GET', `/v1/events/${rejected}`)).json()) as { outcome: { status: string }; dead_letters: { reason: string }[] };
    expect(gone.outcome.status).toBe('rejected');
    expect(gone.dead_letters.map((d) => d.reason)).toEqual(['no_consent']);
    expect((await call('GET', `/v1/events/${unique('nope')}`)).status).toBe(404);

    const list = (await (await call('GET', '/v1/dlq?reason=no_consent')).json()) as { items: { event_id: string }[] };
    expect(list.items.map((i) => i.event_id)).toContain(rejected);
    expect((await call('POST', '/v1/dlq/replay', {})).status).toBe(400); // a filter is required
    const replay = (await (await call('POST', '/v1/dlq/replay', { event_id: rejected })).json()) as { replayed: number };
    expect(replay.replayed).toBe(1);
  });

  it('stop pauses consumption across the pool (lag grows, nothing applied) and start resumes it', async () => {
    expect(await (await call('POST', '/api/v1/crm-ingestion/stop')).json()).toMatchObject({ status: 'paused' });
    const [id] = await enqueue([{ type: 'contact.created', entity_id: unique('contact'), occurred_at: Date.now(), data: { email: 'p@x.io' } }]);
    const status = await waitFor(async () => {
      const s = (await (await call('GET', '/api/v1/crm-ingestion/status')).json()) as { state: string; lag: { total: number } };
      return s.lag.total > 0 ? s : undefined;
    });
    expect(status.state).toBe('paused');
    const [row] = await env.sql`select count(*)::int as n from processed_events where tenant_id = ${env.tenant} and event_id = ${id!}`;
    expect(row!.n).toBe(0);

    expect(await (await call('POST', '/api/v1/crm-ingestion/start')).json()).toMatchObject({ status: 'running' });
    await readOutcomes(env, (os) => os.some((o) => o.event_id === id));
    const metrics = (await (await call('GET', '/api/v1/crm-ingestion/metrics')).json()) as { processed: Record<string, number>; lag: { total: number } };
    expect(metrics.processed.applied).toBeGreaterThanOrEqual(2);
    await waitFor(async () => ((await (await call('GET', '/api/v1/crm-ingestion/metrics')).json()) as { lag: { total: number } }).lag.total === 0);
  });
});
