// The records the pipeline reads and writes, as TypeScript types of the Avro schemas in redpanda/schemas.
// timestamp-millis fields are epoch-ms numbers; ["null", T] unions decode to T | null.

export type { Nullable, LeadData, ContactData, OpportunityData, CrmEvent } from '../schemas/crm-event.types.ts';

export const EVENT_TYPES = [
  'lead.created', 'lead.updated', 'lead.converted',
  'contact.created', 'contact.updated', 'contact.deleted',
  'opportunity.created', 'opportunity.updated', 'opportunity.won', 'opportunity.lost',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type EntityType = 'lead' | 'contact' | 'opportunity';

export type OutcomeStatus = 'applied' | 'duplicate' | 'stale' | 'rejected' | 'failed';

export interface Outcome {
  outcome_id: string;
  event_id: string | null;
  tenant_id: string;
  kind: 'event';
  type: string;
  source: string;
  status: OutcomeStatus;
  reason: string | null;
  entity_type: string | null;
  entity_id: string | null;
  entity_version: number | null;
  bulk_action_id: null;
  topic: string | null;
  partition: number | null;
  offset: number | null;
  received_at: number;
  processed_at: number;
  attempt: number;
  trace_id: string | null;
  utm_source: string | null;
  email_hash: string | null;
  phone_hash: string | null;
}

export interface Change {
  change_id: string;
  tenant_id: string;
  entity_type: EntityType;
  entity_id: string;
  version: number;
  op: 'upsert' | 'delete' | 'restore';
  cause_kind: 'event';
  cause_id: string;
  committed_at: number;
  entity_json: string;
}

/** Where a message sits in Kafka: a redelivery has the same position as its first processing. */
export interface Position {
  topic: string;
  partition: number;
  offset: string;
}
