// Produces a batch's outcomes (crm.outcomes), changes (crm.changes) and dead letters (crm.events.dlq) in one awaited
// sendBatch with acks=all. Deterministic ids make a re-emission harmless downstream.
import type { Producer, Message } from 'kafkajs';
import { DependencyUnavailableError } from '../infra/errors.ts';
import type { MessageResult } from './apply.step.ts';
import type { RecordEncoder } from './record.encoder.ts';

export interface EmitTopics {
  outcomes: string;
  changes: string;
  dlq: string;
}

export interface Emitter {
  emit(results: MessageResult[]): Promise<void>;
}

export function createEmitter(deps: { producer: Producer; encoder: RecordEncoder }, options: { topics: EmitTopics; timeoutMs?: number }): Emitter {
  return {
    async emit(results) {
      if (results.length === 0) return;
      await deps.encoder.ready();
      const outcomes: Message[] = [];
      const changes: Message[] = [];
      const dlq: Message[] = [];
      for (const r of results) {
        const o = r.outcome;
        const headers = r.msg.headers.traceparent ? { traceparent: r.msg.headers.traceparent } : undefined;
        // recorded results carry the bytes stored in processed_events: what was recorded is what is produced
        const records = r.records ?? deps.encoder.encode(r.outcome, r.changes);
        outcomes.push({ key: `${o.tenant_id}:${o.entity_id ?? o.event_id ?? ''}`, value: records.outcome, headers });
        r.changes.forEach((c, i) => changes.push({ key: `${c.tenant_id}:${c.entity_id}`, value: records.changes[i]!, headers }));
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
