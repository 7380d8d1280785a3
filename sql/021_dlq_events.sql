-- 021: the worker's dead letters, beside their copy on crm.events.dlq: what `inflow dlq list|show|replay` and
-- GET /v1/dlq read. Written in the same transaction that records the event as rejected or failed.
create table dlq_events (
  id            bigserial primary key,
  tenant_id     text,                   -- null when the message could not be decoded (taken from its key when it can)
  event_id      text,
  event_type    text,
  reason        text not null,          -- no_consent | unknown_type | undecodable | apply_failed:<SQLSTATE> | ...
  detail        text,
  topic         text not null,
  partition     int not null,
  "offset"      bigint not null,
  message_key   text,
  payload       bytea,                  -- the message value exactly as consumed (Confluent-framed Avro)
  headers       jsonb not null default '{}',
  created_at    timestamptz not null default now(),
  replayed_at   timestamptz,
  replay_count  int not null default 0,
  unique (topic, partition, "offset")
);
create index dlq_events_tenant on dlq_events (tenant_id, created_at);
create index dlq_events_event on dlq_events (event_id);
create index dlq_events_reason on dlq_events (reason, created_at);
