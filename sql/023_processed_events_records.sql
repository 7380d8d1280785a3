-- 023: processed_events keeps the outcome and the changes it produced as the exact Avro bytes produced (Confluent
-- framing): a redelivery re-emits them byte for byte, and the hot path writes compact binary instead of JSON.
-- `outcome` / `changes` (json) stay for rows written before this migration; new rows leave them null.
alter table processed_events add column outcome_record bytea;   -- the framed Outcome value
alter table processed_events add column change_records bytea;   -- the framed Change values, each prefixed by its 4-byte length
alter table processed_events alter column outcome drop not null;
alter table processed_events alter column changes drop not null;
alter table processed_events alter column changes drop default;
