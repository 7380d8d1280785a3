// A real pipeline run: events through the worker, outcomes through the sink; ClickHouse agrees with Postgres's truth.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOutcomesSink, type OutcomesSink } from '../../src/analytics/outcomes.sink.ts';
import { createOutcomesStore } from '../../src/analytics/outcomes.store.ts';
import type { ClickHouseClient } from '../../src/infra/clickhouse.ts';
import { createLogger } from '../../src/infra/logger.ts';
import type { CrmEvent } from '../../src/pipeline/event.types.ts';
import type { Worker } from '../../src/pipeline/worker.ts';
import { createDecoder } from '../../src/schemas/avro.codec.ts';
import { schemaType } from '../../src/schemas/schema-files.ts';
import { testClickHouse, unique } from '../support/helpers.ts';
import { crmEvent, pipelineEnv, produceEvents, startWorker, type PipelineEnv } from '../pipeline/pipeline.support.ts';

let env: PipelineEnv;
let worker: Worker;
let sink: OutcomesSink;
let ch: ClickHouseClient;

const lead = (email: string): CrmEvent['lead'] => ({
  first_name: 'Ada', last_name: 'Lovelace', email, phone: null, company: null, message: null, submission_type: null, country: 'LV', lang: null,
  ip: null, user_agent: null, click_id: null, offer: null, creo: null, domain: null, marker: null, description: null, sourcetype: null, status: null,
  assigned_to: null, utm_source: 'newsletter', utm_medium: null, utm_campaign: null, utm_content: null, utm_term: null, contact_id: null, opportunity_id: null,
});

beforeAll(async () => {
  env = await pipelineEnv('analytics-e2e');
  ch = await testClickHouse('analytics-e2e', env.cfg);
  worker = await startWorker(env);
  sink = createOutcomesSink(
    { kafka: env.kafka, decoder: createDecoder(env.registry, schemaType('outcome')), store: createOutcomesStore(ch, env.cfg.CLICKHOUSE_DATABASE), logger: createLogger(env.cfg) },
    { topic: env.topics.outcomes, groupId: unique('g.sink'), maxRows: 10_000, maxWaitMs: 300 },
  );
  await sink.start();
});
afterAll(async () => {
  await sink?.stop();
  await worker?.stop();
  await env?.close();
  await ch?.close();
});

describe('outcomes of a pipeline run in ClickHouse', () => {
  it('count what Postgres processed, per status, once each; duplicates are counted as duplicates', async () => {
    const accepted = Array.from({ length: 200 }, (_, i) => crmEvent(env, { type: 'lead.created', entity_id: unique('lead'), consent: true, lead: lead(`a${i}@example.com`) }));
    const refused = Array.from({ length: 20 }, (_, i) => crmEvent(env, { type: 'lead.created', entity_id: unique('lead'), consent: false, lead: lead(`r${i}@example.com`) }));
    await produceEvents(env, [...accepted, ...refused]);
    await produceEvents(env, accepted.slice(0, 30)); // client resends

    const truth = async () =>
      Object.fromEntries(
        (await env.sql<{ status: string; n: string }[]>`select status, count(*) as n from processed_events where tenant_id = ${env.tenant} group by status`).map((r) => [r.status, Number(r.n)]),
      );
    const clickhouse = async (query: string) => {
      const res = await ch.query({ query, query_params: { t: env.tenant }, format: 'JSONEachRow' });
      return Object.fromEntries((await res.json<{ status: string; n: number }>()).map((r) => [r.status, Number(r.n)]));
    };
    const db = env.cfg.CLICKHOUSE_DATABASE;
    await vi.waitFor(async () => expect(await clickhouse(`SELECT status, count() AS n FROM ${db}.outcomes FINAL WHERE tenant_id = {t:String} GROUP BY status`)).toEqual({ applied: 200, rejected: 20, duplicate: 30 }), {
      timeout: 60_000,
      interval: 300,
    });
    const pg = await truth();
    expect(pg).toEqual({ applied: 200, rejected: 20 });
    // Without FINAL, and in the per-minute view: the same numbers, so no row was inserted twice.
    expect(await clickhouse(`SELECT status, count() AS n FROM ${db}.outcomes WHERE tenant_id = {t:String} AND status != 'duplicate' GROUP BY status`)).toEqual(pg);
    expect(await clickhouse(`SELECT status, sum(n) AS n FROM ${db}.outcomes_per_minute WHERE tenant_id = {t:String} GROUP BY status`)).toEqual({ ...pg, duplicate: 30 });
    // PII: hashes only.
    const res = await ch.query({ query: `SELECT countIf(email_hash IS NOT NULL AND length(email_hash) = 64) AS hashed FROM ${db}.outcomes WHERE tenant_id = {t:String} AND status = 'applied'`, query_params: { t: env.tenant }, format: 'JSONEachRow' });
    expect(await res.json()).toEqual([{ hashed: 200 }]);
  });
});
