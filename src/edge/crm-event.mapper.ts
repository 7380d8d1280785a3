// HTTP envelope -> CrmEvent record (redpanda/schemas/crm-event.avsc). Pure: the edge routes, the worker's
// /enqueue endpoint and the benchmark all call toCrmEvent. Unknown fields are kept in `metadata`, never dropped.
import type avro from 'avsc';
import { z } from '@hono/zod-openapi';
import { invalidPaths } from '../schemas/avro.codec.ts';
import type { ContactData, CrmEvent, LeadData, OpportunityData } from '../schemas/crm-event.types.ts';
import { schemaType } from '../schemas/schema-files.ts';
import { dataCertainlyValid, envelopeCertainlyValid } from './envelope.fast-check.ts';
import { DATA_SCHEMAS, EnvelopeBaseSchema, entityOf, type EntityKind, type EventType, type FieldError } from './envelope.schema.ts';
import { uuidv7 } from './uuid7.ts';

export type { CrmEvent, LeadData, ContactData, OpportunityData } from '../schemas/crm-event.types.ts';

export interface EventContext {
  /** From the API key or webhook source, never from the body. */
  tenantId: string;
  /** api | lead_capture | webhook:<name> | ingest | replay | enqueue */
  source: string;
  receivedAt: number;
  requestId?: string | null;
  idempotencyKey?: string | null;
  traceparent?: string | null;
  /** Used when the envelope has no event_id (e.g. derived from an Idempotency-Key); otherwise a UUIDv7. */
  eventId?: string;
}

export interface MapOptions {
  /** seed 001 "no validation": scalars in text fields become strings, objects move to metadata instead of failing. */
  lenient?: boolean;
}

export type MapResult = { ok: true; event: CrmEvent } | { ok: false; errors: FieldError[] };

const ENVELOPE_KEYS = new Set(Object.keys(EnvelopeBaseSchema.shape));

const FIELDS: Record<EntityKind, string[]> = {
  lead: Object.keys(DATA_SCHEMAS.lead.shape),
  contact: Object.keys(DATA_SCHEMAS.contact.shape),
  opportunity: Object.keys(DATA_SCHEMAS.opportunity.shape),
};
const FIELD_SETS: Record<EntityKind, Set<string>> = { lead: new Set(FIELDS.lead), contact: new Set(FIELDS.contact), opportunity: new Set(FIELDS.opportunity) };
const UPPER = /[A-Z]/;

let crmType: avro.Type | undefined;
export function crmEventType(): avro.Type {
  crmType ??= schemaType('crm-event');
  return crmType;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function issuesToErrors(issues: z.core.$ZodIssue[], prefix = ''): FieldError[] {
  return issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'), message: i.message }));
}

/** Splits data into the entity's known fields (camelCase accepted) and extras for metadata. */
function splitData(kind: EntityKind, data: Record<string, unknown>, lenient: boolean) {
  const known: Record<string, unknown> = {};
  const extras: Record<string, unknown> = {};
  const fields = FIELD_SETS[kind];
  for (const key of Object.keys(data)) {
    const value = data[key];
    const name = fields.has(key) ? key : UPPER.test(key) && fields.has(snake(key)) ? snake(key) : undefined;
    if (name === undefined) extras[key] = value;
    else if (lenient && name !== 'tags' && name !== 'amount' && value !== null && value !== undefined) {
      if (typeof value === 'string') known[name] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') known[name] = String(value);
      else extras[key] = value;
    } else known[name] = value;
  }
  return { known, extras };
}

// One object literal per entity kind, every field at once (null when absent): V8 then builds the record in a single
// allocation with a fixed shape, instead of ~27 property additions, each a hidden-class transition. Generated from
// FIELDS so it cannot drift from the zod schemas; the field names are the schemas' own identifiers.
const FILL_NULLS: Record<EntityKind, (parsed: Record<string, unknown>) => Record<string, unknown>> = {
  lead: compileFill(FIELDS.lead),
  contact: compileFill(FIELDS.contact),
  opportunity: compileFill(FIELDS.opportunity),
};
function compileFill(fields: string[]): (parsed: Record<string, unknown>) => Record<string, unknown> {
  for (const f of fields) if (!/^[a-z_][a-z0-9_]*$/.test(f)) throw new Error(`unexpected field name ${f}`);
  return new Function('p', `return { ${fields.map((f) => `${f}: p.${f} ?? null`).join(', ')} };`) as (parsed: Record<string, unknown>) => Record<string, unknown>;
}


/** Values JSON-encoded into `out`; with `skip`, the keys it holds are left out (the envelope's own fields). */
function addMetadata(out: Record<string, string>, source: Record<string, unknown>, skip?: Set<string>): void {
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value !== undefined && !skip?.has(key)) out[key] = JSON.stringify(value);
  }
}

/** What EnvelopeBaseSchema yields: the known fields typed, extra top-level keys passed through. */
type Envelope = Record<string, unknown> & {
  event_id?: string;
  type: EventType;
  entity_id: string;
  occurred_at: number | string;
  consent?: boolean | null;
  data?: Record<string, unknown> | null;
  metadata?: Record<string, unknown> | null;
};

export function toEpochMs(value: number | string): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

/** Validates one envelope and builds the CrmEvent the edge produces. Errors carry field paths. */
export function toCrmEvent(input: unknown, ctx: EventContext, options: MapOptions = {}): MapResult {
  if (!isPlainObject(input)) return { ok: false, errors: [{ path: '', message: 'an event must be a JSON object' }] };
  // zod only for what the hand-written check cannot vouch for (its parse of a valid envelope is a copy of it).
  let env = input as Envelope;
  // both hand-written checks vouching means the record is valid Avro too (src/edge/envelope.fast-check.test.ts)
  let vouched = true;
  if (!envelopeCertainlyValid(input)) {
    vouched = false;
    const parsed = EnvelopeBaseSchema.safeParse(input);
    if (!parsed.success) return { ok: false, errors: issuesToErrors(parsed.error.issues) };
    env = parsed.data;
  }
  const kind = entityOf(env.type);
  const { known, extras } = splitData(kind, env.data ?? {}, options.lenient ?? false);
  let fields = known;
  if (!dataCertainlyValid(kind, known)) {
    vouched = false;
    const data = DATA_SCHEMAS[kind].safeParse(known);
    if (!data.success) return { ok: false, errors: issuesToErrors(data.error.issues, 'data') };
    fields = data.data;
  }

  const metadata: Record<string, string> = {};
  if (env.metadata) addMetadata(metadata, env.metadata);
  addMetadata(metadata, env, ENVELOPE_KEYS);
  addMetadata(metadata, extras);
  const record = FILL_NULLS[kind](fields);
  const event: CrmEvent = {
    event_id: env.event_id ?? ctx.eventId ?? uuidv7(),
    tenant_id: ctx.tenantId,
    type: env.type,
    entity_id: env.entity_id,
    occurred_at: toEpochMs(env.occurred_at),
    received_at: ctx.receivedAt,
    source: ctx.source,
    consent: env.consent ?? null,
    request_id: ctx.requestId ?? null,
    idempotency_key: ctx.idempotencyKey ?? null,
    lead: kind === 'lead' ? (record as LeadData) : null,
    contact: kind === 'contact' ? (record as ContactData) : null,
    opportunity: kind === 'opportunity' ? (record as OpportunityData) : null,
    metadata,
    traceparent: ctx.traceparent ?? null,
  };
  // The zod schemas mirror the Avro schema; this catches any drift before the broker would.
  const type = crmEventType();
  const avroErrors = vouched || type.isValid(event) ? [] : invalidPaths(type, event);
  if (avroErrors.length) return { ok: false, errors: avroErrors.map((path) => ({ path, message: 'not valid for the CrmEvent Avro schema' })) };
  return { ok: true, event };
}
