import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toEffect } from './effect.step.ts';
import { enrich, parseUserAgent } from './enrich.step.ts';
import type { CrmEvent } from './event.types.ts';
import { bucketOf, outcomeId } from './ids.ts';
import { normalizeCountry, normalizeEmail, normalizeEvent, normalizePhone } from './normalize.step.ts';
import { eventOutcome, traceIdOf } from './outcome.build.ts';
import { tenantFromKey } from './prepare.step.ts';
import { applyRules } from './rules.step.ts';

export function leadEvent(overrides: Partial<CrmEvent> = {}): CrmEvent {
  return {
    event_id: 'e-1', tenant_id: 'acme', type: 'lead.created', entity_id: 'lead-1',
    occurred_at: Date.parse('2026-11-20T10:00:00Z'), received_at: Date.parse('2026-11-20T10:00:01Z'),
    source: 'api', consent: true, request_id: null, idempotency_key: null,
    lead: {
      first_name: '  John ', last_name: 'Doe ', email: '  John.Doe@Example.COM ', phone: '020 7946 0958', company: null, message: null,
      submission_type: null, country: 'united kingdom', lang: 'en', ip: '8.8.8.8', user_agent: null, click_id: null, offer: null, creo: null,
      domain: null, marker: null, description: null, sourcetype: null, status: null, assigned_to: null, utm_source: 'google',
      utm_medium: null, utm_campaign: null, utm_content: null, utm_term: null, contact_id: null, opportunity_id: null,
    },
    contact: null, opportunity: null, metadata: {}, traceparent: null,
    ...overrides,
  };
}

describe('business rules', () => {
  it('rejects an event whose consent is false, with reason no_consent', () => {
    expect(applyRules(leadEvent({ consent: false }))).toEqual({ ok: false, reason: 'no_consent' });
  });
  it('processes an event whose consent is unknown', () => {
    expect(applyRules(leadEvent({ consent: null }))).toEqual({ ok: true });
  });
  it('rejects an event type it does not know', () => {
    expect(applyRules(leadEvent({ type: 'lead.teleported' }))).toEqual({ ok: false, reason: 'unknown_type' });
  });
});

describe('normalization', () => {
  it('trims and lower-cases emails', () => expect(normalizeEmail('  A.B@Example.COM ')).toBe('a.b@example.com'));
  it('turns country names, alpha-3 codes and aliases into ISO alpha-2', () => {
    expect(['Latvia', 'lva', 'lv', 'UK', 'United States of America', 'Atlantis'].map(normalizeCountry)).toEqual(['LV', 'LV', 'LV', 'GB', 'US', null]);
  });
  it('writes phones in E.164, using the country for national numbers', () => {
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(normalizePhone('+371 2012 3456')).toBe('+37120123456');
    expect(normalizePhone(' call me ')).toBe('call me');
  });
  it('normalizes a lead event without modifying the input, keeping an unknown country in metadata', () => {
    const input = leadEvent();
    const out = normalizeEvent(input);
    expect(out.lead).toMatchObject({ first_name: 'John', last_name: 'Doe', email: 'john.doe@example.com', phone: '+442079460958', country: 'GB' });
    expect(input.lead!.email).toBe('  John.Doe@Example.COM ');
    expect(normalizeEvent(leadEvent({ lead: { ...input.lead!, country: 'Narnia' } })).metadata.country_raw).toBe('"Narnia"');
  });
});

describe('enrichment', () => {
  it('parses the user agent', () => {
    expect(parseUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'))
      .toEqual({ ua_browser: 'Mobile Safari 17.0', ua_os: 'iOS 17.0', ua_device: 'mobile' });
  });
  it('places an IP with the lookup it is given, and ignores what is not an IP', () => {
    const geo = { lookup: (ip: string) => (ip === '81.198.0.1' ? { country: 'LV', city: 'Riga' } : null) };
    expect(enrich({ ip: '81.198.0.1', user_agent: null }, geo)).toMatchObject({ geo_country: 'LV', geo_city: 'Riga' });
    expect(enrich({ ip: 'not-an-ip', user_agent: null }, geo)).toMatchObject({ geo_country: null });
  });
});

describe('event -> entity effect', () => {
  it('maps a lead event to a leads row carrying the last event id and time', () => {
    const e = toEffect(normalizeEvent(leadEvent()), enrich({ ip: null, user_agent: null }, null));
    expect(e).toMatchObject({ entity: 'lead', entityId: 'lead-1' });
    expect(e.row).toMatchObject({ tenant_id: 'acme', id: 'lead-1', last_event_id: 'e-1', last_occurred_at: '2026-11-20T10:00:00.000Z', email: 'john.doe@example.com', ip_address: '8.8.8.8', utm_source: 'google' });
  });
  it('links a converted lead to its contact and opportunity', () => {
    const ev = leadEvent({ type: 'lead.converted' });
    ev.lead = { ...ev.lead!, contact_id: 'c-9', opportunity_id: 'o-9' };
    const e = toEffect(ev, enrich({ ip: null, user_agent: null }, null));
    expect(e.links).toEqual({ contactId: 'c-9', opportunityId: 'o-9' });
    expect(e.row).toMatchObject({ status: 'converted', converted_at: '2026-11-20T10:00:00.000Z' });
  });
  it('closes a won opportunity at the time it occurred', () => {
    const ev = leadEvent({ type: 'opportunity.won', entity_id: 'o-1', lead: null, opportunity: { name: 'Deal', stage: 'closed', amount: 10, currency: 'EUR', contact_id: null, lead_id: null, close_reason: null, expected_close_date: 'soon' } });
    const e = toEffect(ev, enrich({ ip: null, user_agent: null }, null));
    expect(e.row).toMatchObject({ status: 'won', closed_at: '2026-11-20T10:00:00.000Z', expected_close_date: null, metadata: { expected_close_date_raw: 'soon' } });
  });
  it('soft-deletes a contact', () => {
    const ev = leadEvent({ type: 'contact.deleted', entity_id: 'c-1', lead: null });
    expect(toEffect(ev, enrich({ ip: null, user_agent: null }, null)).row.deleted_at).toBe('2026-11-20T10:00:00.000Z');
  });
});

describe('ids and buckets', () => {
  it('gives the same outcome id to the same event and status, and a per-message id to duplicates', () => {
    expect(outcomeId('t', 'e', 'applied')).toBe(outcomeId('t', 'e', 'applied'));
    expect(outcomeId('t', 'e', 'applied')).not.toBe(outcomeId('u', 'e', 'applied'));
    const at = { topic: 'crm.events', partition: 1, offset: '5' };
    expect(outcomeId('t', 'e', 'duplicate', at)).not.toBe(outcomeId('t', 'e', 'duplicate', { ...at, offset: '6' }));
    expect(outcomeId('t', 'e', 'applied')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
  it('keeps the ids and PII hashes stored downstream: sha256 of the same bytes as ever', () => {
    // outcome ids key ClickHouse's dedup and PII hashes are joined on: a faster hash call must not change one bit
    const h = createHash('sha256').update(['t', 'e', 'applied'].join('\u001f')).digest('hex');
    expect(outcomeId('t', 'e', 'applied')).toBe(`${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`);
    const salt = Buffer.from('s3cr3t-salt-ü');
    const msg = { topic: 'crm.events', partition: 0, offset: '1', key: null, value: null, headers: {} };
    const event = leadEvent({ lead: { ...leadEvent().lead!, email: 'jöhn@example.com', phone: '+447946000000' } });
    const o = eventOutcome({ event, msg, status: 'applied', salt, processedAt: 0 });
    expect(o.email_hash).toBe(createHash('sha256').update(salt).update('jöhn@example.com').digest('hex'));
    expect(o.phone_hash).toBe(createHash('sha256').update(salt).update('+447946000000').digest('hex'));
    expect(eventOutcome({ event, msg, status: 'applied', processedAt: 0 }).email_hash).toBeNull();
  });
  it('buckets by the UTC day of occurred_at', () => expect(bucketOf(Date.parse('2026-11-20T23:59:59.999Z'))).toBe('2026-11-20'));
  it('reads the trace id of a W3C traceparent and the tenant of a key', () => {
    expect(traceIdOf('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(traceIdOf('garbage')).toBeNull();
    expect(tenantFromKey('acme:lead-1')).toBe('acme');
  });
});
