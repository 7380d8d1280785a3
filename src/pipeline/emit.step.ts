// Produces a batch's outcomes (crm.outcomes), changes (crm.changes) and dead letters (crm.events.dlq) in one awaited
// sendBatch with acks=all. Deterministic ids make a re-emission harmless downstream.
import type { Producer, Message } from 'kafkajs';
import { DependencyUnavailableError } from '../infra/errors.ts';
import { encode } from '../schemas/avro.codec.ts';
import type { SchemaRegistry } from '../schemas/registry.client.ts';
import { readSchema, schemaType, subjectFor } from '../schemas/schema-files.ts';
import type { MessageResult } from './apply.step.ts';

export interface EmitTopics {
  outcomes: string;
  changes: string;
  dlq: string;
}

export interface Emitter {
  emit(results: MessageResult[]): Promise<void>;
}

export function createEmitter(deps: { producer: Producer; registry: SchemaRegistry }, options: { topics: EmitTopics; timeoutMs?: number }): Emitter {
  const outcomeType = schemaType('outcome');
  const changeType = schemaType('change');
  let ids: Promise<{ outcome: number; change: number }> | undefined;
  const schemaIds = () => {
    // register is idempotent: it returns the id of exactly the schema this code encodes with
    ids ??= Promise.all([
      deps.registry.register(subjectFor(options.topics.outcomes), readSchema('outcome')),
      deps.registry.register(subjectFor(options.topics.changes), readSchema('change')),
    ]).then(([outcome, change]) => ({ outcome, change }));
    ids.catch(() => (ids = undefined));
    return ids;
  };

  return {
    async emit(results) {
      if (results.length === 0) return;
      const { outcome, change } = await schemaIds();
      const outcomes: Message[] = [];
      const changes: Message[] = [];
      const dlq: Message[] = [];
      for (const r of results) {
        const o = r.outcome;
        const headers = r.msg.headers.traceparent ? { traceparent: r.msg.headers.traceparent } : undefined;
        outcomes.push({ key: `${o.tenant_id}:${o.entity_id ?? o.event_id ?? ''}`, value: encode(outcomeType, outcome, o), headers });
        for (const c of r.changes) changes.push({ key: `${c.tenant_id}:${c.entity_id}`, value: encode(changeType, change, c), headers });
        if (r.dlq) {
          dlq.push({
            key: r.msg.key,
            value: r.msg.value,
            headers: {
              ...r.msg.headers,
              'dlq-reason': r.dlq.reason,
              'dlq-topic': r.msg.topic,
              'dlq-partition': String(r.msg.partition),
              'dlq-offset': r.msg.offset,
              ...(r.dlq.eventId ? { 'dlq-event-id': r.dlq.eventId } : {}),
              ...(r.dlq.tenantId ? { 'dlq-tenant-id': r.dlq.tenantId } : {}),
              ...(r.dlq.detail ? { 'dlq-detail': r.dlq.detail.slice(0, 500) } : {}),
            },
          });
        }
      }
      const topicMessages = [
        { topic: options.topics.outcomes, messages: outcomes },
        { topic: options.topics.changes, messages: changes },
        { topic: options.topics.dlq, messages: dlq },
      ].filter((t) => t.messages.length > 0);
      try {
        await deps.producer.sendBatch({ topicMessages, acks: -1, timeout: options.timeoutMs ?? 30_000 });
      } catch (err) {
        throw new DependencyUnavailableError('kafka', 'producing outcomes failed', err);
      }
    },
  };
}
