// Outcomes of the bench's events, read from crm.outcomes directly (not from ClickHouse): in embedded mode chDB belongs
// to the inflow process, and the topic is what the sink reads anyway. A private consumer group starts at the end
// offsets taken before the load, so every outcome of the run is seen; nothing is committed that matters to inflow.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Decoder } from '../schemas/avro.codec.ts';
import { createHistogram, type Histogram } from './stats.ts';

interface OutcomeValue {
  outcome_id: string;
  event_id: string | null;
  tenant_id: string;
  kind: string;
  status: string;
  received_at: number;
  processed_at: number;
}

export interface OutcomesReader {
  /** distinct event outcomes (kind "event") of the bench tenants so far */
  count(): number;
  /** per second of the run (by arrival at the reader) */
  readonly perSecond: Map<number, number>;
  readonly statuses: Record<string, number>;
  /** outcomes of other kinds (bulk items, API writes) of the bench tenants, by kind:status */
  readonly otherKinds: Record<string, number>;
  /** edge receive -> applied (processed_at - received_at) */
  readonly e2e: Histogram;
  /** event_id -> its non-duplicate outcome_ids (re-emissions of one outcome_id count once) */
  readonly byEvent: Map<string, string | string[]>;
  stop(): Promise<void>;
}

export async function startOutcomesReader(
  deps: { kafka: Kafka; decoder: Decoder },
  options: { topic: string; tenants: Set<string>; startedAt: number },
): Promise<OutcomesReader> {
  const admin = deps.kafka.admin();
  await admin.connect();
  const starts = await admin.fetchTopicOffsets(options.topic);
  await admin.disconnect();

  const perSecond = new Map<number, number>();
  const statuses: Record<string, number> = {};
  const otherKinds: Record<string, number> = {};
  const e2e = createHistogram();
  const byEvent = new Map<string, string | string[]>();
  const seenOutcomes = new Set<string>();
  let eventOutcomes = 0;
  const groupId = `inflow-bench-${randomUUID()}`;
  const consumer = deps.kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024 }); // big fetches: 20k outcomes/s
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        if (!m.value) continue;
        let v: OutcomeValue;
        try {
          v = (await deps.decoder.decode<OutcomeValue>(m.value)).value;
        } catch {
          continue; // not ours to judge; the sink and the DLQ tools see it
        }
        if (!options.tenants.has(v.tenant_id) || seenOutcomes.has(v.outcome_id)) continue;
        seenOutcomes.add(v.outcome_id);
        if (v.kind !== 'event') {
          otherKinds[`${v.kind}:${v.status}`] = (otherKinds[`${v.kind}:${v.status}`] ?? 0) + 1;
          continue;
        }
        eventOutcomes++;
        const second = Math.floor((Date.now() - options.startedAt) / 1000) + 1;
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
        statuses[v.status] = (statuses[v.status] ?? 0) + 1;
        if (v.status !== 'duplicate') e2e.record(Math.max(0, v.processed_at - v.received_at));
        // a `duplicate` outcome answers a resend; the event's own outcome is the one that is not
        if (v.event_id && v.status !== 'duplicate') {
          const prev = byEvent.get(v.event_id);
          if (prev === undefined) byEvent.set(v.event_id, v.outcome_id);
          else byEvent.set(v.event_id, [...(Array.isArray(prev) ? prev : [prev]), v.outcome_id]);
        }
      }
    },
  });
  for (const p of starts) consumer.seek({ topic: options.topic, partition: p.partition, offset: p.offset });
  return {
    count: () => eventOutcomes,
    perSecond,
    statuses,
    otherKinds,
    e2e,
    byEvent,
    async stop() {
      await consumer.disconnect();
      const a = deps.kafka.admin();
      await a.connect();
      await a.deleteGroups([groupId]).catch(() => undefined); // leave no stray group behind
      await a.disconnect();
    },
  };
}
