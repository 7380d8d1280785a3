// The backlog both pipeline benchmarks drain: distinct lead.created events with the seed 001/003 fields filled.
import { randomUUID } from 'node:crypto';
import type { CrmEvent } from '../../src/pipeline/event.types.ts';

export function leads(tenant: string, n: number): CrmEvent[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    event_id: randomUUID(), tenant_id: tenant, type: 'lead.created', entity_id: `lead-${i}`, occurred_at: now, received_at: now, source: 'bench',
    consent: true, request_id: null, idempotency_key: null, contact: null, opportunity: null, metadata: {}, traceparent: null,
    lead: {
      first_name: ` First${i} `, last_name: `Last${i}`, email: ` User${i}@Example.com `, phone: `+3712${String(1000000 + i).slice(-7)}`, company: 'Acme', message: 'hello',
      submission_type: 'form', country: 'Latvia', lang: 'lv', ip: `81.198.${i % 250}.${i % 200}`, user_agent: null, click_id: `c${i}`, offer: 'offer', creo: 'banner',
      domain: 'example.com', marker: 'm', description: null, sourcetype: 'web', status: null, assigned_to: null, utm_source: 'google', utm_medium: 'cpc',
      utm_campaign: 'spring', utm_content: null, utm_term: null, contact_id: null, opportunity_id: null,
    },
  }));
}
