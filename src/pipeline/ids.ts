// Deterministic ids: the same input always gets the same outcome_id / change_id, so a re-emission is recognisable
// downstream (ClickHouse keeps one row per outcome_id) and a crash between produce and commit costs nothing.
import { hash } from 'node:crypto';
import type { Position } from './event.types.ts';
import { isoDayOf } from './iso.time.ts';

/** A UUID-shaped sha256 of the parts (version nibble 8: "custom"). */
export function deterministicId(...parts: (string | number)[]): string {
  const h = hash('sha256', parts.join('\u001f'), 'hex'); // one-shot: half the cost of a createHash() object per id
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * applied | stale | rejected: one per event, whatever message carried it (stored and re-emitted on redelivery).
 * duplicate | failed: one per message that produced it (a resend, or one attempt that went to the DLQ).
 */
export function outcomeId(tenantId: string, eventId: string, status: string, at?: Position): string {
  return at ? deterministicId(tenantId, eventId, status, at.topic, at.partition, at.offset) : deterministicId(tenantId, eventId, status);
}

export function changeId(tenantId: string, entityType: string, entityId: string, eventId: string): string {
  return deterministicId('change', tenantId, entityType, entityId, eventId);
}

/** The dedup bucket a resend repeats: the UTC day of occurred_at, as YYYY-MM-DD. */
export function bucketOf(occurredAtMs: number): string {
  return isoDayOf(occurredAtMs);
}
