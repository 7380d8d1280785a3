// Helpers for the pipeline tests: a private set of topics (KAFKA_TOPIC_PREFIX), CrmEvent producers, an outcomes reader.
import { ensureTenant } from '../../src/accounts/api-keys.ts';
import type { Config } from '../../src/config.ts';
import { createKafka, ensureTopics, loadTopicDefinitions, topicName, type Kafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createPostgres, type Sql } from '../../src/infra/postgres.ts';
import { createRedis, type Redis } from '../../src/infra/redis.ts';
import type { Change, CrmEvent, Outcome } from '../../src/pipeline/event.types.ts';
import { createWorker, type Worker, type WorkerOptions } from '../../src/pipeline/worker.ts';
import { createDecoder, encode } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry, type SchemaRegistry } from '../../src/schemas/registry.client.ts';
import { registerSchemas, schemaType, subjectFor } from '../../src/schemas/schema-files.ts';
import { testConfig, unique } from '../support/helpers.ts';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export interface PipelineEnv {
  cfg: Config;
  prefix: string;
  tenant: string;
  kafka: Kafka;
  sql: Sql;
  redis: Redis;
  registry: SchemaRegistry;
  producer: Producer;
  topics: { events: string; outcomes: string; changes: string; dlq: string };
  eventSchemaId: number;
  groupId: string;
  close(): Promise<void>;
}

/** Private topics, schemas and a tenant for one test file. */
export async function pipelineEnv(name: string): Promise<PipelineEnv> {
  const prefix = `${unique(`t-${name}`)}.`;
  const cfg = testConfig({ KAFKA_TOPIC_PREFIX: prefix });
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, loadTopicDefinitions(), prefix);
  await admin.disconnect();
  const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
  const ids = await registerSchemas(registry, prefix);
  const topics = {
    events: topicName(cfg, 'crm.events'),
    outcomes: topicName(cfg, 'crm.outcomes'),
    changes: topicName(cfg, 'crm.changes'),
    dlq: topicName(cfg, 'crm.events.dlq'),
  };
  const sql = createPostgres(cfg, { max: 4 });
  const tenant = unique('tenant');
  await ensureTenant(sql, tenant);
  const redis = createRedis(cfg);
  // idempotent, like the edge's: a retried send never writes an event twice into the log
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    cfg, prefix, tenant, kafka, sql, redis, registry, producer, topics,
    eventSchemaId: ids[subjectFor(topics.events)]!,
    groupId: `${prefix}inflow-worker`,
    async close() {
      await producer.disconnect();
      redis.disconnect();
      await sql.end({ timeout: 5 });
    },
  };
}

export function crmEvent(env: Pick<PipelineEnv, 'tenant'>, overrides: Partial<CrmEvent> & { type: string; entity_id: string }): CrmEvent {
  const now = Date.now();
  return {
    event_id: randomUUID(), tenant_id: env.tenant, occurred_at: now, received_at: now, source: 'api',
    consent: null, request_id: null, idempotency_key: null, lead: null, contact: null, opportunity: null, metadata: {}, traceparent: null,
    ...overrides,
  };
}

const crmEventType = schemaType('crm-event');

export async function produceEvents(env: PipelineEnv, events: CrmEvent[], schema = { id: 0, type: crmEventType }): Promise<void> {
  const id = schema.id || env.eventSchemaId;
  await env.producer.send({
    topic: env.topics.events,
    acks: -1,
    messages: events.map((e) => ({ key: `${e.tenant_id}:${e.entity_id}`, value: encode(schema.type, id, e) })),
  });
}

export function workerOptions(env: PipelineEnv, extra: Partial<WorkerOptions> = {}): WorkerOptions {
  return {
    groupId: env.groupId, topic: env.topics.events, emit: { outcomes: env.topics.outcomes, changes: env.topics.changes, dlq: env.topics.dlq },
    namespace: env.prefix, geoip: false, concurrency: 1, ...extra,
  };
}

export async function startWorker(env: PipelineEnv, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  const worker = createWorker(
    { kafka: env.kafka, sql: env.sql, redis: env.redis, registry: env.registry, logger: createLogger(env.cfg) },
    workerOptions(env, extra),
  );
  await worker.start();
  return worker;
}

/** Reads a topic from the beginning until `until` says enough; the decoded records. */
export async function readTopic<T>(env: PipelineEnv, topic: string, schema: 'outcome' | 'change', until: (all: T[]) => boolean, timeoutMs = 45_000): Promise<T[]> {
  const decoder = createDecoder(env.registry, schemaType(schema));
  const consumer = env.kafka.consumer({ groupId: unique('g.reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const all: T[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}: ${all.length} records`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          all.push((await decoder.decode<T>(message.value!)).value);
          if (until(all)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return all;
}

export const readOutcomes = (env: PipelineEnv, until: (all: Outcome[]) => boolean, timeoutMs?: number) => readTopic<Outcome>(env, env.topics.outcomes, 'outcome', until, timeoutMs);
export const readChanges = (env: PipelineEnv, until: (all: Change[]) => boolean, timeoutMs?: number) => readTopic<Change>(env, env.topics.changes, 'change', until, timeoutMs);

/** Outcomes per event id, distinct by outcome_id (re-emissions collapse, as in ClickHouse). */
export function distinctOutcomes(all: Outcome[]): Map<string, Outcome[]> {
  const byEvent = new Map<string, Map<string, Outcome>>();
  for (const o of all) {
    const m = byEvent.get(o.event_id ?? '') ?? byEvent.set(o.event_id ?? '', new Map()).get(o.event_id ?? '')!;
    m.set(o.outcome_id, o);
  }
  return new Map([...byEvent].map(([k, m]) => [k, [...m.values()]]));
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 45_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
