// The records the pipeline reads and writes, as TypeScript types of the Avro schemas in redpanda/schemas.
// timestamp-millis fields are epoch-ms numbers; ["null", T] unions decode to T | null.

export type { Nullable, LeadData, ContactData, OpportunityData, CrmEvent } from '../schemas/crm-event.types.ts';
import type { OutcomeRecord } from '../schemas/outcome.types.ts';

export const EVENT_TYPES = [
  'lead.created', 'lead.updated', 'lead.converted',
  'contact.created', 'contact.updated', 'contact.deleted',
  'opportunity.created', 'opportunity.updated', 'opportunity.won', 'opportunity.lost',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type EntityType = 'lead' | 'contact' | 'opportunity';

export type OutcomeStatus = 'applied' | 'duplicate' | 'stale' | 'rejected' | 'failed';

/** The worker's outcomes: kind `event`, one of the event statuses, never a bulk action. */
export type Outcome = Omit<OutcomeRecord, 'kind' | 'status' | 'bulk_action_id'> & {
  kind: 'event';
  status: OutcomeStatus;
  bulk_action_id: null;
};

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
  /** JSON; as the worker builds it, the UTF-8 bytes Postgres returned (encoded as they are), decoded a string */
  entity_json: string | Buffer;
}

/** Where a message sits in Kafka: a redelivery has the same position as its first processing. */
export interface Position {
  topic: string;
  partition: number;
  offset: string;
}
