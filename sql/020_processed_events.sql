-- 020: processed_events, the truth of exactly-once. One row per event the worker finished (applied, stale, rejected, failed),
-- written in the same transaction as the entity writes. It stores the outcome and changes it produced, so a redelivered
-- message re-emits the ORIGINAL outcome (same outcome_id) instead of computing a new one.
--
-- Partitioned by day on `bucket` = UTC day of the event's occurred_at: a client resend repeats occurred_at, so it lands
-- on the same key. Postgres needs the partition key in every unique key, hence (tenant_id, event_id, bucket); tenant_id
-- is in the key because event ids are client-supplied and tenants must not collide.
create table processed_events (
  tenant_id      text not null,
  event_id       text not null,
  bucket         date not null,
  status         text not null check (status in ('applied', 'stale', 'rejected', 'failed')),
  reason         text,
  topic          text not null,
  partition      int not null,
  "offset"       bigint not null,
  entity_type    text,
  entity_id      text,
  entity_version bigint,
  outcome        jsonb not null,                 -- the Outcome record as produced
  changes        jsonb not null default '[]',     -- the Change records as produced
  processed_at   timestamptz not null default now(),
  primary key (tenant_id, event_id, bucket)
) partition by range (bucket);

-- Events whose day has no partition (older than the dedup window, or far in the future) land here and are kept for the
-- window measured from processing time. Past the window only the entity's last_occurred_at protects them (`stale`).
create table processed_events_late partition of processed_events default;

-- "Where is my event": a lookup by id without knowing occurred_at.
create index processed_events_event on processed_events (tenant_id, event_id);

-- Creates the day partitions for [today - window_days, today + ahead_days], drops those older than the window and
-- prunes the late partition. Idempotent and safe to call from every worker (advisory lock). Returns what it did.
create or replace function processed_events_maintain(window_days int, ahead_days int, today date default current_date)
returns text[] language plpgsql as $$
declare
  d date;
  part text;
  r record;
  done text[] := '{}';
begin
  perform pg_advisory_xact_lock(7300420); -- "processed_events maintenance"
  for d in select generate_series(today - window_days, today + ahead_days, interval '1 day')::date loop
    part := 'processed_events_' || to_char(d, 'YYYYMMDD');
    if to_regclass(part) is null then
      -- a day whose rows already sit in the late partition keeps them there (attaching would violate its constraint)
      if exists (select 1 from processed_events_late where bucket = d) then continue; end if;
      execute format('create table %I partition of processed_events for values from (%L) to (%L)', part, d, d + 1);
      done := done || ('created ' || part);
    end if;
  end loop;
  for r in
    select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'processed_events'::regclass and c.relname ~ '^processed_events_[0-9]{8}$'
  loop
    if to_date(substr(r.relname, 18), 'YYYYMMDD') < today - window_days then
      execute format('drop table %I', r.relname);
      done := done || ('dropped ' || r.relname);
    end if;
  end loop;
  delete from processed_events_late where processed_at < now() - make_interval(days => window_days);
  return done;
end $$;

select processed_events_maintain(7, 3);
