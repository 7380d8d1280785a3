// The batch pipeline's insert-first path against real Postgres and Redis: when Redis knows none of a chunk's events it
// skips the processed_events lookup and inserts; a row already there must roll the whole transaction back and send
// the chunk the careful way, so a redelivery re-emits its original outcome and a resend is a duplicate, with nothing
// applied twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infra/logger.ts';
import { createPostgres } from '../../src/infra/postgres.ts';
import { createBatchPipeline } from '../../src/pipeline/batch.pipeline.ts';
import { createRedisDedup } from '../../src/pipeline/dedup.step.ts';
import type { CrmEvent } from '../../src/pipeline/event.types.ts';
import type { InMessage } from '../../src/pipeline/prepare.step.ts';
import { createRecordEncoder } from '../../src/pipeline/record.encoder.ts';
import { createDecoder, encode } from '../../src/schemas/avro.codec.ts';
import { schemaType } from '../../src/schemas/schema-files.ts';
import { unique } from '../support/helpers.ts';
import { crmEvent, pipelineEnv, type PipelineEnv } from './pipeline.support.ts';

let env: PipelineEnv;
beforeAll(async () => {
  env = await pipelineEnv('insert-first');
});
afterAll(async () => {
  await env?.close();
});

/** A pipeline whose Redis fast path lives in its own namespace: a fresh namespace is a flushed Redis. */
function pipelineWith(namespace: string, sql = env.sql) {
  const logger = createLogger(env.cfg);
  return createBatchPipeline(
    {
      decoder: createDecoder(env.registry, schemaType('crm-event')),
      sql,
      encoder: createRecordEncoder({ registry: env.registry }, env.topics),
      dedup: createRedisDedup({ redis: env.redis, logger }, { namespace, windowDays: 7 }),
      geo: null,
      logger,
    },
    { mode: 'exactly-once' },
  );
}

const messagesOf = (events: CrmEvent[], firstOffset: number): InMessage[] =>
  events.map((e, i) => ({
    topic: env.topics.events, partition: 0, offset: String(firstOffset + i), key: `${e.tenant_id}:${e.entity_id}`, headers: {},
    value: encode(schemaType('crm-event'), env.eventSchemaId, e),
  }));

const contact = (id: string) =>
  crmEvent(env, { type: 'contact.created', entity_id: id, contact: { first_name: 'Ada', last_name: 'Byron', email: `${id}@example.com`, phone: null, company: null, title: null, country: 'GB', owner_id: null, status: null, tags: [] } });

describe('insert-first', () => {
  it('falls back to the careful path when an event is already recorded, and applies nothing twice', async () => {
    const events = [contact(unique('c')), contact(unique('c')), contact(unique('c'))];
    const first = await pipelineWith(unique('ns')).process(messagesOf(events, 100));
    expect(first.map((r) => r.outcome.status)).toEqual(['applied', 'applied', 'applied']);

    // Redis lost everything (a fresh namespace): the same positions again are redeliveries, new positions resends
    const redelivered = await pipelineWith(unique('ns')).process(messagesOf(events, 100));
    expect(redelivered.map((r) => r.outcome.outcome_id)).toEqual(first.map((r) => r.outcome.outcome_id));
    expect(redelivered.map((r) => r.records?.changes.length)).toEqual([1, 1, 1]); // the original change, re-emitted
    const fresh = contact(unique('c'));
    const resent = await pipelineWith(unique('ns')).process(messagesOf([...events, fresh], 200));
    expect(resent.map((r) => r.outcome.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'applied']);

    const ids = [...events, fresh].map((e) => e.event_id);
    const rows = await env.sql<{ n: number }[]>`select count(*)::int as n from processed_events where tenant_id = ${env.tenant} and event_id = any(${ids})`;
    expect(rows[0]!.n).toBe(4);
    const versions = await env.sql<{ version: string }[]>`select version from contacts where tenant_id = ${env.tenant} and id = any(${events.map((e) => e.entity_id)})`;
    expect(versions.map((v) => v.version)).toEqual(['1', '1', '1']);
  });

  it('falls back the same way when a lead\'s raw payload is already kept (its insert fails first), and keeps one', async () => {
    const events = [crmEvent(env, { type: 'lead.created', entity_id: unique('lead') }), crmEvent(env, { type: 'lead.created', entity_id: unique('lead') })];
    const first = await pipelineWith(unique('ns')).process(messagesOf(events, 150));
    expect(first.map((r) => r.outcome.status)).toEqual(['applied', 'applied']);

    // Redis flushed: insert-first is tried, leads_raw's plain insert meets the kept payloads, the chunk goes the careful way
    const redelivered = await pipelineWith(unique('ns')).process(messagesOf(events, 150));
    expect(redelivered.map((r) => r.outcome.outcome_id)).toEqual(first.map((r) => r.outcome.outcome_id));
    const resent = await pipelineWith(unique('ns')).process(messagesOf(events, 250));
    expect(resent.map((r) => r.outcome.status)).toEqual(['duplicate', 'duplicate']);

    const ids = events.map((e) => e.event_id);
    const raw = await env.sql<{ n: number }[]>`select count(*)::int as n from leads_raw where tenant_id = ${env.tenant} and event_id = any(${ids})`;
    expect(raw[0]!.n).toBe(2);
    const versions = await env.sql<{ version: string }[]>`select version from leads where tenant_id = ${env.tenant} and id = any(${events.map((e) => e.entity_id)})`;
    expect(versions.map((v) => v.version)).toEqual(['1', '1']);
  });

  it('stores the outcome and change records byte for byte, also for events without a change', async () => {
    const applied = contact(unique('c'));
    const rejected = crmEvent(env, { type: 'lead.created', entity_id: unique('lead'), consent: false });
    const results = await pipelineWith(unique('ns')).process(messagesOf([applied, rejected], 300));
    expect(results.map((r) => r.outcome.status)).toEqual(['applied', 'rejected']);
    const rows = await env.sql<{ event_id: string; outcome_record: Buffer; change_records: Buffer | null }[]>`
      select event_id, outcome_record, change_records from processed_events where tenant_id = ${env.tenant} and event_id = any(${[applied.event_id, rejected.event_id]})`;
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    expect(byId.get(applied.event_id)!.outcome_record.equals(results[0]!.records!.outcome)).toBe(true);
    const change = results[0]!.records!.changes[0]!;
    expect(byId.get(applied.event_id)!.change_records!.subarray(4).equals(change)).toBe(true);
    expect(byId.get(rejected.event_id)!.outcome_record.equals(results[1]!.records!.outcome)).toBe(true);
    expect(byId.get(rejected.event_id)!.change_records).toBeNull();
  });

  it('prepares its hot statements once per connection (no Parse + Describe round trip per chunk)', async () => {
    const one = createPostgres(env.cfg, { max: 1 }); // one connection: the one whose prepared statements are read below
    try {
      const pipeline = pipelineWith(unique('ns'), one);
      for (let chunk = 0; chunk < 3; chunk++) {
        const lead = crmEvent(env, { type: 'lead.created', entity_id: unique('lead') });
        const results = await pipeline.process(messagesOf([contact(unique('c')), lead], 400 + chunk * 10));
        expect(results.map((r) => r.outcome.status)).toEqual(['applied', 'applied']);
      }
      const prepared = await one<{ tag: string; n: number }[]>`
        select substring(statement from '-- (pipeline\.[a-z.-]+)') as tag, count(*)::int as n from pg_prepared_statements
        where statement like '%-- pipeline.%' group by 1 order by 1`;
      // one statement each, however many chunks ran: the second and third chunks reused them
      expect(prepared).toEqual(expect.arrayContaining([
        { tag: 'pipeline.apply.contacts', n: 1 }, { tag: 'pipeline.apply.leads', n: 1 },
        { tag: 'pipeline.apply.leads-raw', n: 1 }, { tag: 'pipeline.processed.record', n: 1 },
        { tag: 'pipeline.plans.keyed', n: 1 }, // every transaction plans its keyed statements as index probes
      ]));
    } finally {
      await one.end({ timeout: 5 });
    }
  });
});
