// The CrmEvent record (redpanda/schemas/crm-event.avsc) as TypeScript: one definition for the edge that writes it
// and the worker that reads it. timestamp-millis fields are epoch-ms numbers; ["null", T] unions decode to T | null.

export type Nullable<T> = { [K in keyof T]: T[K] | null };

export type LeadData = Nullable<{
  first_name: string; last_name: string; email: string; phone: string; company: string; message: string;
  submission_type: string; country: string; lang: string; ip: string; user_agent: string; click_id: string;
  offer: string; creo: string; domain: string; marker: string; description: string; sourcetype: string;
  status: string; assigned_to: string; utm_source: string; utm_medium: string; utm_campaign: string;
  utm_content: string; utm_term: string; contact_id: string; opportunity_id: string;
}>;

export type ContactData = Nullable<{
  first_name: string; last_name: string; email: string; phone: string; company: string; title: string;
  country: string; owner_id: string; status: string; tags: string[];
}>;

export type OpportunityData = Nullable<{
  name: string; stage: string; amount: number; currency: string; contact_id: string; lead_id: string;
  close_reason: string; expected_close_date: string;
}>;

export interface CrmEvent {
  event_id: string;
  tenant_id: string;
  type: string;
  entity_id: string;
  occurred_at: number;
  received_at: number;
  source: string;
  consent: boolean | null;
  request_id: string | null;
  idempotency_key: string | null;
  lead: LeadData | null;
  contact: ContactData | null;
  opportunity: OpportunityData | null;
  metadata: Record<string, string>;
  traceparent: string | null;
}
