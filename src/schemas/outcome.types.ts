// The Outcome record (redpanda/schemas/outcome.avsc) as TypeScript, shared by its writers (worker, API outbox,
// bulk executors) and its reader (the ClickHouse sink).

/** The Avro Outcome (redpanda/schemas/outcome.avsc) as avsc decodes it: nullable unions are plain values or null. */
export interface OutcomeRecord {
  outcome_id: string;
  event_id: string | null;
  tenant_id: string;
  kind: string;
  type: string;
  source: string;
  status: string;
  reason: string | null;
  entity_type: string | null;
  entity_id: string | null;
  entity_version: number | null;
  bulk_action_id: string | null;
  topic: string | null;
  partition: number | null;
  offset: number | null;
  /** epoch ms */
  received_at: number;
  /** epoch ms */
  processed_at: number;
  attempt: number;
  trace_id: string | null;
  utm_source: string | null;
  email_hash: string | null;
  phone_hash: string | null;
}
