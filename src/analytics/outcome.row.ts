// Pure mapping from a decoded crm.outcomes record to a ClickHouse row, and the batch's deduplication token.
// No I/O here: the sink and the unit tests call these directly.
import type { OutcomeRecord } from '../schemas/outcome.types.ts';

export type { OutcomeRecord } from '../schemas/outcome.types.ts';

/** Where a record sits in crm.outcomes: stored with the row so a restarted sink knows what ClickHouse holds. */
export interface LogPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** The columns the sink writes (latency_ms is MATERIALIZED, inserted_at DEFAULT). */
export const OUTCOME_COLUMNS = [
  'outcome_id', 'event_id', 'tenant_id', 'kind', 'type', 'source', 'status', 'reason', 'entity_type', 'entity_id',
  'entity_version', 'bulk_action_id', 'topic', 'partition', 'offset', 'received_at', 'processed_at', 'attempt',
  'trace_id', 'utm_source', 'email_hash', 'phone_hash', 'log_topic', 'log_partition', 'log_offset',
] as const;

/** DateTime64(3) from epoch ms: "seconds.millis" is read exactly by every ClickHouse text format. */
export function dateTime64(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(ms));
  return `${sign}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}`;
}

/** One JSONCompactEachRow line (values in OUTCOME_COLUMNS order). */
export function toRowLine(o: OutcomeRecord, at: LogPosition): string {
  return JSON.stringify([
    o.outcome_id, o.event_id, o.tenant_id, o.kind, o.type, o.source, o.status, o.reason, o.entity_type, o.entity_id,
    o.entity_version, o.bulk_action_id, o.topic, o.partition, o.offset, dateTime64(o.received_at), dateTime64(o.processed_at),
    o.attempt, o.trace_id, o.utm_source, o.email_hash, o.phone_hash, at.topic, at.partition, at.offset,
  ]);
}

export interface OffsetRange {
  partition: number;
  first: number;
  last: number;
}

/**
 * The insert_deduplication_token of a batch: its topic and per-partition offset ranges. The same records
 * re-read after a crash give the same token, so ClickHouse drops the repeated block (table and views alike).
 */
export function batchToken(topic: string, ranges: OffsetRange[]): string {
  const parts = [...ranges].sort((a, b) => a.partition - b.partition).map((r) => `${r.partition}:${r.first}-${r.last}`);
  return `${topic}/${parts.join(',')}`;
}

/** A token is inlined in the INSERT's SETTINGS clause (never a session SET: chDB sessions keep SETs); quote it safely. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
