// The effect of one (normalized, enriched) event on one entity row: a plain object of column values.
// Null means "not given": updates keep the current value (partial updates), so an event only sets what it carries.
import { isIP } from 'node:net';
import type { Enrichment } from './enrich.step.ts';
import type { CrmEvent, EntityType } from './event.types.ts';
import { isoOf } from './iso.time.ts';

export type ColumnValue = string | number | boolean | null | string[] | Record<string, unknown>;
export type Row = Record<string, ColumnValue>;

export interface EntityEffect {
  entity: EntityType;
  entityId: string;
  /** Column values; tenant_id, id, last_event_id and last_occurred_at included. */
  row: Row;
  /** lead.converted: the contact and opportunity the lead became, linked back to it. */
  links?: { contactId: string | null; opportunityId: string | null };
}

const iso = isoOf;

/** metadata values travel JSON-encoded (CrmEvent.metadata is map<string>); stored as one JSON object. */
function metadataObject(metadata: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in metadata) {
    const v = metadata[k]!;
    try {
      out[k] = JSON.parse(v);
    } catch {
      out[k] = v;
    }
  }
  for (const k in extra) out[k] = extra[k];
  return out;
}

function validDate(value: string | null): boolean {
  return !!value && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value));
}

export function entityOf(type: string): EntityType {
  return type.slice(0, type.indexOf('.')) as EntityType;
}

export function toEffect(event: CrmEvent, enrichment: Enrichment): EntityEffect {
  const entity = entityOf(event.type);
  // Rows are written out field by field, never `{ ...base, ...40 more }`: V8 builds an object literal that starts with a
  // spread and goes on with many properties through a slow path (~60 µs per lead row, measured), and this runs per event.
  const lastOccurredAt = iso(event.occurred_at);
  if (entity === 'lead') {
    const l = event.lead;
    const ip = l?.ip?.trim() ?? null;
    const converted = event.type === 'lead.converted';
    const extra: Record<string, unknown> = {};
    if (ip && !isIP(ip)) extra.ip_raw = ip; // kept, never dropped; the inet column takes valid addresses only
    const row: Row = {
      tenant_id: event.tenant_id, id: event.entity_id, last_event_id: event.event_id, last_occurred_at: lastOccurredAt,
      source: event.source,
      idempotency_key: event.idempotency_key,
      received_at: iso(event.received_at),
      first_name: l?.first_name ?? null, last_name: l?.last_name ?? null, email: l?.email ?? null, phone: l?.phone ?? null,
      company: l?.company ?? null, message: l?.message ?? null, submission_type: l?.submission_type ?? null, consent: event.consent,
      country: l?.country ?? null, lang: l?.lang ?? null, click_id: l?.click_id ?? null, offer: l?.offer ?? null, creo: l?.creo ?? null,
      domain: l?.domain ?? null, marker: l?.marker ?? null, description: l?.description ?? null, sourcetype: l?.sourcetype ?? null,
      status: converted ? 'converted' : (l?.status ?? null),
      assigned_to: l?.assigned_to ?? null,
      ip_address: ip && isIP(ip) ? ip : null,
      user_agent: l?.user_agent ?? null,
      ua_browser: enrichment.ua_browser, ua_os: enrichment.ua_os, ua_device: enrichment.ua_device,
      geo_country: enrichment.geo_country, geo_city: enrichment.geo_city,
      utm_source: l?.utm_source ?? null, utm_medium: l?.utm_medium ?? null, utm_campaign: l?.utm_campaign ?? null,
      utm_content: l?.utm_content ?? null, utm_term: l?.utm_term ?? null,
      contact_id: l?.contact_id ?? null, opportunity_id: l?.opportunity_id ?? null,
      converted_at: converted ? lastOccurredAt : null,
      metadata: metadataObject(event.metadata, extra),
    };
    return {
      entity, entityId: event.entity_id, row,
      ...(converted ? { links: { contactId: l?.contact_id ?? null, opportunityId: l?.opportunity_id ?? null } } : {}),
    };
  }
  if (entity === 'contact') {
    const c = event.contact;
    const row: Row = {
      tenant_id: event.tenant_id, id: event.entity_id, last_event_id: event.event_id, last_occurred_at: lastOccurredAt,
      first_name: c?.first_name ?? null, last_name: c?.last_name ?? null, email: c?.email ?? null, phone: c?.phone ?? null,
      company: c?.company ?? null, title: c?.title ?? null, country: c?.country ?? null, owner_id: c?.owner_id ?? null,
      status: c?.status ?? null, tags: c?.tags ?? null,
      deleted_at: event.type === 'contact.deleted' ? lastOccurredAt : null,
      metadata: metadataObject(event.metadata),
    };
    return { entity, entityId: event.entity_id, row };
  }
  const o = event.opportunity;
  const closed = event.type === 'opportunity.won' || event.type === 'opportunity.lost';
  const extra: Record<string, unknown> = {};
  const closeDate = o?.expected_close_date ?? null;
  if (closeDate && !validDate(closeDate)) extra.expected_close_date_raw = closeDate;
  const row: Row = {
    tenant_id: event.tenant_id, id: event.entity_id, last_event_id: event.event_id, last_occurred_at: lastOccurredAt,
    name: o?.name ?? null, stage: o?.stage ?? null,
    status: event.type === 'opportunity.won' ? 'won' : event.type === 'opportunity.lost' ? 'lost' : null,
    amount: o?.amount ?? null, currency: o?.currency ?? null, contact_id: o?.contact_id ?? null, lead_id: o?.lead_id ?? null,
    close_reason: o?.close_reason ?? null,
    expected_close_date: validDate(closeDate) ? closeDate : null,
    closed_at: closed ? lastOccurredAt : null,
    metadata: metadataObject(event.metadata, extra),
  };
  return { entity, entityId: event.entity_id, row };
}
