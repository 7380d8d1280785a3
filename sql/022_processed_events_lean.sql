-- 022: processed_events is written once per event on the hot path and read only on redelivery, so it stays lean:
-- outcome and changes as json (stored as text, validated, not re-parsed into jsonb on every insert), and no second
-- index: lookups by (tenant_id, event_id) use the primary key's prefix.
drop index if exists processed_events_event;
alter table processed_events alter column outcome type json using outcome::json;
alter table processed_events alter column changes type json using changes::json;
alter table processed_events alter column changes set default '[]'::json;
