-- 031: transactional outbox of the contacts API. A write commits its contact row and its Change + Outcome here
-- in one transaction; the relay (api role) produces pending rows to crm.changes / crm.outcomes and marks them sent.
-- message_id (change_id / outcome_id) is fixed at commit time, so a re-send after a relay crash is recognisable downstream.
create table outbox (
  id          bigint generated always as identity primary key,
  tenant_id   text not null references tenants(id),
  topic       text not null check (topic in ('crm.changes', 'crm.outcomes')),  -- base name; KAFKA_TOPIC_PREFIX applies
  message_key text not null,                       -- tenant_id:entity_id, the partition key of every topic
  message_id  text not null unique,
  payload     jsonb not null,                      -- the Avro record as JSON (timestamp-millis as epoch-ms numbers)
  created_at  timestamptz not null default now(),
  sent_at     timestamptz
);
create index outbox_pending on outbox (id) where sent_at is null;
create index outbox_sent on outbox (sent_at) where sent_at is not null;
