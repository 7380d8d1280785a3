// Outcome records for the analytics tests: a prefixed crm.outcomes topic of the test's own, a producer, a data set.
import { randomUUID } from 'node:crypto';
import type { Config } from '../../src/config.ts';
import type { OutcomeRecord } from '../../src/analytics/outcome.row.ts';
import { createKafka, ensureTopics, loadTopicDefinitions, topicName } from '../../src/infra/kafka.ts';
import { encode } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { registerSchemas, schemaType, subjectFor } from '../../src/schemas/schema-files.ts';

export async function outcomesTopic(cfg: Config): Promise<{ topic: string; produce(outcomes: OutcomeRecord[]): Promise<void>; endOffsets(): Promise<Map<number, number>>; committed(groupId: string): Promise<Map<number, number>>; close(): Promise<void> }> {
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, loadTopicDefinitions(), cfg.KAFKA_TOPIC_PREFIX);
  const ids = await registerSchemas(createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL), cfg.KAFKA_TOPIC_PREFIX);
  const topic = topicName(cfg, 'crm.outcomes');
  const schemaId = ids[subjectFor(topic)]!;
  const type = schemaType('outcome');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    topic,
    async produce(outcomes) {
      for (let i = 0; i < outcomes.length; i += 1000) {
        const messages = outcomes.slice(i, i + 1000).map((o) => ({ key: `${o.tenant_id}:${o.entity_id ?? o.outcome_id}`, value: encode(type, schemaId, o) }));
        await producer.send({ topic, acks: -1, messages });
      }
    },
    async endOffsets() {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    },
    async committed(groupId) {
      const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map((res?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    },
    async close() {
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}

const T0 = Date.parse('2026-03-02T10:00:00Z');

/** A known data set: `n` outcomes for `tenant`, spread one per second from 10:00 UTC; status, type, source cycle. */
export function outcomes(tenant: string, n: number, overrides: Partial<OutcomeRecord> = {}, start = T0): OutcomeRecord[] {
  const statuses = ['applied', 'applied', 'duplicate', 'rejected', 'failed'];
  const types = ['lead.created', 'contact.updated', 'opportunity.won'];
  const sources = ['api', 'webhook'];
  return Array.from({ length: n }, (_, i) => {
    const status = statuses[i % statuses.length]!;
    const received = start + i * 1000;
    return {
      outcome_id: randomUUID(),
      event_id: randomUUID(),
      tenant_id: tenant,
      kind: 'event',
      type: types[i % types.length]!,
      source: sources[i % sources.length]!,
      status,
      reason: status === 'rejected' ? 'invalid email' : status === 'failed' ? 'postgres timeout' : null,
      entity_type: 'lead',
      entity_id: `lead-${i % 97}`,
      entity_version: 1,
      bulk_action_id: null,
      topic: 'crm.events',
      partition: i % 6,
      offset: i,
      received_at: received,
      processed_at: received + 10 * ((i % 10) + 1), // latencies 10..100 ms
      attempt: 1,
      trace_id: null,
      utm_source: i % 2 ? 'google' : null,
      email_hash: null,
      phone_hash: null,
      ...overrides,
    };
  });
}

export { T0 };
