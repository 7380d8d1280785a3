// Building the Outcome and Change records of one event. Pure.
import { hash } from 'node:crypto';
import type { Change, CrmEvent, EntityType, Outcome, OutcomeStatus, Position } from './event.types.ts';
import { changeId, outcomeId } from './ids.ts';
import type { InMessage } from './prepare.step.ts';

export function traceIdOf(traceparent: string | null | undefined): string | null {
  const m = traceparent ? /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent.trim()) : null;
  return m?.[1] ?? null;
}

function hashPii(salt: Buffer | undefined, value: string | null | undefined): string | null {
  if (!salt || !value) return null;
  // sha256(salt bytes + UTF-8 value) in one shot: a createHash() object per value cost twice as much
  const bytes = Buffer.allocUnsafe(salt.length + Buffer.byteLength(value));
  salt.copy(bytes, 0);
  bytes.write(value, salt.length);
  return hash('sha256', bytes, 'hex');
}

const positionOf = (m: InMessage): Position => ({ topic: m.topic, partition: m.partition, offset: m.offset });

export function eventOutcome(input: {
  event: CrmEvent;
  msg: InMessage;
  status: OutcomeStatus;
  reason?: string | null;
  entityVersion?: number | null;
  salt?: Buffer;
  processedAt: number;
}): Outcome {
  const { event, msg, status } = input;
  const perMessage = status === 'duplicate' || status === 'failed';
  const person = event.lead ?? event.contact;
  return {
    outcome_id: outcomeId(event.tenant_id, event.event_id, status, perMessage ? positionOf(msg) : undefined),
    event_id: event.event_id,
    tenant_id: event.tenant_id,
    kind: 'event',
    type: event.type,
    source: event.source,
    status,
    reason: input.reason ?? null,
    entity_type: event.type.split('.')[0] ?? null,
    entity_id: event.entity_id,
    entity_version: input.entityVersion ?? null,
    bulk_action_id: null,
    topic: msg.topic,
    partition: msg.partition,
    offset: Number(msg.offset),
    received_at: event.received_at,
    processed_at: input.processedAt,
    attempt: 1,
    trace_id: traceIdOf(msg.headers.traceparent ?? event.traceparent),
    utm_source: event.lead?.utm_source ?? null,
    email_hash: hashPii(input.salt, person?.email),
    phone_hash: hashPii(input.salt, person?.phone),
  };
}

/** A message that could not be decoded: failed, identified by its position. */
export function undecodableOutcome(msg: InMessage, tenantId: string | null, processedAt: number): Outcome {
  return {
    outcome_id: outcomeId(tenantId ?? '', '', 'failed', positionOf(msg)),
    event_id: null, tenant_id: tenantId ?? 'unknown', kind: 'event', type: 'unknown', source: 'unknown',
    status: 'failed', reason: 'undecodable', entity_type: null, entity_id: null, entity_version: null, bulk_action_id: null,
    topic: msg.topic, partition: msg.partition, offset: Number(msg.offset), received_at: processedAt, processed_at: processedAt,
    attempt: 1, trace_id: traceIdOf(msg.headers.traceparent), utm_source: null, email_hash: null, phone_hash: null,
  };
}

export function changeOf(input: {
  tenantId: string; entity: EntityType; entityId: string; version: number; op: Change['op']; eventId: string;
  /** the entity after the change: an object, or its JSON straight from Postgres (text, or UTF-8 bytes) */
  row: Record<string, unknown> | string | Buffer; committedAt: number;
}): Change {
  return {
    change_id: changeId(input.tenantId, input.entity, input.entityId, input.eventId),
    tenant_id: input.tenantId,
    entity_type: input.entity,
    entity_id: input.entityId,
    version: input.version,
    op: input.op,
    cause_kind: 'event',
    cause_id: input.eventId,
    committed_at: input.committedAt,
    entity_json: typeof input.row === 'string' || Buffer.isBuffer(input.row) ? input.row : JSON.stringify(input.row),
  };
}
