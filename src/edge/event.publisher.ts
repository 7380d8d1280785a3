// CrmEvents -> Confluent-framed Avro on crm.events (key tenant_id:entity_id), rejected raw input -> crm.events.dlq
// with reason headers. Both go through the one batching producer; the schema id comes from the registry once.
import type { Logger } from '../infra/logger.ts';
import type { SchemaRegistry } from '../schemas/registry.client.ts';
import { readSchema, subjectFor } from '../schemas/schema-files.ts';
import type { BatchingProducer, ProduceMessage } from './batching.producer.ts';
import { crmEventType, type CrmEvent } from './crm-event.mapper.ts';
import { dlqTotal } from './edge.metrics.ts';
import { createFramedEncoder, type FramedEncoder } from '../schemas/framed.encoder.ts';
import type { FieldError } from './envelope.schema.ts';

export interface DlqRecord {
  raw: Buffer;
  /** malformed_json | invalid_event | unsupported_media_type | payload_too_large | ... */
  reason: string;
  tenantId: string;
  source: string;
  errors?: FieldError[];
  index?: number;
  contentType?: string;
  truncated?: boolean;
}

export interface RequestMeta {
  requestId: string;
  traceparent: string;
}

export interface EventPublisher {
  /** The registry id of the CrmEvent schema (registered under crm.events-value on first use). */
  schemaId(): Promise<number>;
  /** Produces the events (and any DLQ records) and resolves once the broker acked all of them. */
  publish(events: CrmEvent[], dlq: DlqRecord[], meta: RequestMeta): Promise<void>;
  /** Writes DLQ records alone; never throws (the caller is answering a 4xx anyway). */
  deadLetter(dlq: DlqRecord[], meta: RequestMeta): Promise<void>;
}

export function createEventPublisher(
  deps: { producer: BatchingProducer; registry: SchemaRegistry; logger: Logger },
  options: { topic: string; dlqTopic: string },
): EventPublisher {
  const log = deps.logger.child({ module: 'edge.publisher' });
  const type = crmEventType();
  let id: Promise<number> | undefined;
  let framed: { id: number; encode: FramedEncoder } | undefined;
  const encoderFor = (sid: number) => {
    if (framed?.id !== sid) framed = { id: sid, encode: createFramedEncoder(type, sid) };
    return framed.encode;
  };

  function schemaId(): Promise<number> {
    if (!id) {
      id = deps.registry.register(subjectFor(options.topic), readSchema('crm-event'));
      id.catch(() => (id = undefined)); // registry down: retried by the next request
    }
    return id;
  }

  function dlqMessage(r: DlqRecord, meta: RequestMeta): ProduceMessage {
    const headers: Record<string, string> = {
      reason: r.reason,
      tenant_id: r.tenantId,
      source: r.source,
      request_id: meta.requestId,
      traceparent: meta.traceparent,
      received_at: new Date().toISOString(),
    };
    if (r.errors) headers.errors = JSON.stringify(r.errors).slice(0, 4_000);
    if (r.index !== undefined) headers.index = String(r.index);
    if (r.contentType) headers['content_type'] = r.contentType;
    if (r.truncated) headers.truncated = 'true';
    return { topic: options.dlqTopic, key: r.tenantId, value: r.raw, headers };
  }

  return {
    schemaId,
    async publish(events, dlq, meta) {
      const encode = events.length ? encoderFor(await schemaId()) : undefined;
      const headers = { traceparent: meta.traceparent, request_id: meta.requestId }; // one object for the request's messages
      const messages: ProduceMessage[] = events.map((e) => ({
        topic: options.topic,
        key: `${e.tenant_id}:${e.entity_id}`,
        value: encode!(e),
        headers,
      }));
      for (const r of dlq) messages.push(dlqMessage(r, meta));
      await deps.producer.send(messages);
      for (const r of dlq) dlqTotal.inc({ reason: r.reason });
    },
    async deadLetter(dlq, meta) {
      try {
        await deps.producer.send(dlq.map((r) => dlqMessage(r, meta)));
        for (const r of dlq) dlqTotal.inc({ reason: r.reason });
      } catch (err) {
        log.error({ err, reasons: dlq.map((r) => r.reason), request_id: meta.requestId }, 'rejected input not written to the DLQ');
      }
    },
  };
}
