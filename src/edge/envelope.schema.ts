// The HTTP shapes the edge accepts, as zod schemas. The same schemas validate requests and generate /openapi.json.
import { z } from '@hono/zod-openapi';

export const EVENT_TYPES = [
  'lead.created',
  'lead.updated',
  'lead.converted',
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'opportunity.created',
  'opportunity.updated',
  'opportunity.won',
  'opportunity.lost',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type EntityKind = 'lead' | 'contact' | 'opportunity';

export function entityOf(type: EventType): EntityKind {
  return type.slice(0, type.indexOf('.')) as EntityKind;
}

export const MAX_EPOCH_MS = 8_640_000_000_000; // the largest JS Date
export const MAX_TEXT = 10_000; // characters in a free-text field
const text = z.string().max(MAX_TEXT).nullish();

/** Keys of the Avro LeadData record (redpanda/schemas/crm-event.avsc); a unit test keeps them in step. */
export const LeadDataSchema = z
  .object({
    first_name: text,
    last_name: text,
    email: text,
    phone: text,
    company: text,
    message: text,
    submission_type: text,
    country: text,
    lang: text,
    ip: text,
    user_agent: text,
    click_id: text,
    offer: text,
    creo: text,
    domain: text,
    marker: text,
    description: text,
    sourcetype: text,
    status: text,
    assigned_to: text,
    utm_source: text,
    utm_medium: text,
    utm_campaign: text,
    utm_content: text,
    utm_term: text,
    contact_id: text,
    opportunity_id: text,
  })
  .openapi('LeadData', { description: 'lead.* data; camelCase spellings (firstName) are accepted; unknown fields go to metadata' });

export const ContactDataSchema = z
  .object({
    first_name: text,
    last_name: text,
    email: text,
    phone: text,
    company: text,
    title: text,
    country: text,
    owner_id: text,
    status: text,
    tags: z.array(z.string().max(1_000)).max(1_000).nullish(),
  })
  .openapi('ContactData', { description: 'contact.* data; unknown fields go to metadata' });

export const OpportunityDataSchema = z
  .object({
    name: text,
    stage: text,
    amount: z.number().finite().nullish(),
    currency: text,
    contact_id: text,
    lead_id: text,
    close_reason: text,
    expected_close_date: text,
  })
  .openapi('OpportunityData', { description: 'opportunity.* data; unknown fields go to metadata' });

export const DATA_SCHEMAS = { lead: LeadDataSchema, contact: ContactDataSchema, opportunity: OpportunityDataSchema } as const;

/** occurred_at and similar timestamps. */
export const epochOrIso = z
  .union([z.number().int().min(0).max(8_640_000_000_000), z.iso.datetime({ offset: true })])
  .openapi({ description: 'epoch milliseconds or ISO 8601 with offset', example: '2026-01-15T10:30:00Z' });

/** Validation of one envelope; `data` is then checked per entity (lead/contact/opportunity) with the schemas above. */
export const EnvelopeBaseSchema = z.looseObject({
  event_id: z.string().min(1).max(128).optional().openapi({ description: 'the exactly-once key; a UUIDv7 is assigned when absent' }),
  type: z.enum(EVENT_TYPES),
  entity_id: z.string().min(1).max(256),
  occurred_at: epochOrIso,
  consent: z.boolean().nullish(),
  data: z.record(z.string(), z.unknown()).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

/** One event as a producer sends it (the documented form of EnvelopeBaseSchema). Extra fields are kept in metadata. */
export const EventEnvelopeSchema = EnvelopeBaseSchema.extend({
  data: z
    .union([LeadDataSchema.loose(), ContactDataSchema.loose(), OpportunityDataSchema.loose()])
    .nullish()
    .openapi({ description: 'typed by the entity of `type`' }),
}).openapi('EventEnvelope');
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;

export const EventBatchSchema = z.object({ events: z.array(EventEnvelopeSchema) }).openapi('EventBatch');

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() }).openapi('FieldError');
export type FieldError = z.infer<typeof FieldErrorSchema>;

export const IngestResultSchema = z
  .object({
    accepted: z.number().int().openapi({ description: 'events durable in the broker (new and duplicates)' }),
    event_ids: z.array(z.string()).openapi({ description: 'ids of the accepted events, in request order' }),
    duplicates: z.array(z.string()).openapi({ description: 'accepted ids already seen within the dedup window (not produced again)' }),
    rejected: z.array(z.object({ index: z.number().int(), errors: z.array(FieldErrorSchema) })),
  })
  .openapi('IngestResult');
export type IngestResult = z.infer<typeof IngestResultSchema>;

export const ErrorSchema = z.object({ error: z.string(), message: z.string().optional() }).openapi('Error');

/** seed 001: a flat lead, stored as sent ("no validation"): any JSON object is accepted. */
export const LeadCaptureSchema = z
  .looseObject({
    click_id: z.string().optional(),
    country: z.string().optional(),
    creo: z.string().optional(),
    description: z.string().optional(),
    domain: z.string().optional(),
    email: z.string().optional(),
    firstName: z.string().optional(),
    ip: z.string().optional(),
    lang: z.string().optional(),
    lastName: z.string().optional(),
    marker: z.string().optional(),
    offer: z.string().optional(),
    phone: z.string().optional(),
    sourcetype: z.string().optional(),
  })
  .openapi('LeadCapture');

export const LeadCaptureResultSchema = z
  .object({ ok: z.boolean(), lead_id: z.string().optional(), deduplicated: z.boolean().optional(), error: z.string().optional() })
  .openapi('LeadCaptureResult');

/** seed 003: a LeadEvent for POST /ingest. */
export const LeadEventSchema = z
  .looseObject({
    event_id: z.string().min(1).max(128).optional(),
    idempotency_key: z.string().min(1).max(255).optional(),
    source: z.string().max(50).optional().openapi({ description: 'the form, chatbot or partner that captured the lead' }),
    received_at: epochOrIso.optional(),
    first_name: text,
    last_name: text,
    email: z.string().min(3).max(255),
    phone: text,
    message: text,
    submission_type: text,
    consent: z.boolean().nullish(),
    ip_address: text,
    user_agent: text,
    utm_source: text,
    utm_medium: text,
    utm_campaign: text,
    utm_content: text,
    utm_term: text,
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('LeadEvent');
export type LeadEvent = z.infer<typeof LeadEventSchema>;

/** seed 002: an AcmeCRM webhook delivery. */
export const AcmeWebhookSchema = z
  .looseObject({
    id: z.string().min(1).max(200).optional().openapi({ description: 'delivery id; replays of one id produce one event' }),
    event: z.enum(['contact.created', 'contact.updated', 'contact.deleted']).optional(),
    eventType: z.enum(['contact.created', 'contact.updated', 'contact.deleted']).optional(),
    timestamp: epochOrIso.optional(),
    data: z.looseObject({ id: z.union([z.string().min(1).max(256), z.number()]) }),
  })
  .openapi('AcmeWebhook');

/** Standard Webhooks payload convention: { type, timestamp, data }. */
export const StandardWebhookSchema = z
  .looseObject({
    type: z.enum(EVENT_TYPES),
    timestamp: epochOrIso.optional(),
    data: z.looseObject({ id: z.string().min(1).max(256).optional(), entity_id: z.string().min(1).max(256).optional() }),
  })
  .openapi('StandardWebhook');
