-- 002: the CRM entities every writer (worker, contacts API, bulk executors) changes.
-- Each row keeps the occurred_at and event_id of the last applied event: an older event is `stale` and changes nothing.
-- `version` counts committed changes (optimistic concurrency for the API; seed 002). Soft delete via deleted_at.

create table leads (
  tenant_id        text not null references tenants(id),
  id               text not null,                 -- entity_id of the events
  version          bigint not null default 1,
  last_event_id    text,
  last_occurred_at timestamptz,
  source           text,
  idempotency_key  text,
  received_at      timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  deleted_at       timestamptz,
  -- core payload (seed 003 leads)
  first_name       text,
  last_name        text,
  email            text,                          -- trimmed, lower-cased
  phone            text,                          -- E.164 when it parses
  company          text,
  message          text,
  submission_type  text,
  consent          boolean,
  -- lead capture fields (seed 001)
  country          text,                          -- ISO 3166 alpha-2
  lang             text,
  click_id         text,
  offer            text,
  creo             text,
  domain           text,
  marker           text,
  description      text,
  sourcetype       text,
  status           text not null default 'new',
  assigned_to      text,
  -- enrichment
  ip_address       inet,
  user_agent       text,
  ua_browser       text,
  ua_os            text,
  ua_device        text,
  geo_country      text,
  geo_city         text,
  -- campaign
  utm_source       text,
  utm_medium       text,
  utm_campaign     text,
  utm_content      text,
  utm_term         text,
  -- lead.converted
  contact_id       text,
  opportunity_id   text,
  converted_at     timestamptz,
  metadata         jsonb not null default '{}',
  primary key (tenant_id, id)
);
create index leads_email on leads (tenant_id, email);
create index leads_received_at on leads (tenant_id, received_at);
create index leads_utm_source on leads (tenant_id, utm_source);

-- Raw-first (seed 001): the payload of every lead event exactly as it arrived, kept beside the normalized row.
create table leads_raw (
  tenant_id        text not null,
  event_id         text not null,
  lead_id          text not null,
  idempotency_key  text,
  request_id       text,
  payload          jsonb not null,
  received_at      timestamptz not null,
  stored_at        timestamptz not null default now(),
  primary key (tenant_id, event_id)
);

create table contacts (
  tenant_id        text not null references tenants(id),
  id               text not null,
  version          bigint not null default 1,
  last_event_id    text,
  last_occurred_at timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  deleted_at       timestamptz,
  first_name       text,
  last_name        text,
  email            text,                          -- trimmed, lower-cased
  phone            text,
  company          text,
  title            text,
  country          text,
  owner_id         text,
  status           text not null default 'active',
  tags             text[] not null default '{}',
  lead_id          text,                          -- the lead it was converted from
  metadata         jsonb not null default '{}',
  primary key (tenant_id, id)
);
create index contacts_email on contacts (tenant_id, email);
create index contacts_updated on contacts (tenant_id, updated_at, id);
create index contacts_owner on contacts (tenant_id, owner_id);

create table opportunities (
  tenant_id           text not null references tenants(id),
  id                  text not null,
  version             bigint not null default 1,
  last_event_id       text,
  last_occurred_at    timestamptz,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  deleted_at          timestamptz,
  name                text,
  stage               text,
  status              text not null default 'open' check (status in ('open', 'won', 'lost')),
  amount              numeric(18, 2),
  currency            text,
  contact_id          text,
  lead_id             text,
  close_reason        text,
  expected_close_date date,
  closed_at           timestamptz,
  metadata            jsonb not null default '{}',
  primary key (tenant_id, id)
);
create index opportunities_contact on opportunities (tenant_id, contact_id);
