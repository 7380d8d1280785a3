-- 024: leads_raw.payload as json, not jsonb: seed 001 keeps the payload "exactly as received", which json does (the
-- text, validated) and jsonb does not (it reorders keys and drops duplicates); it is also cheaper to write on the
-- worker's hot path, since nothing queries inside it.
alter table leads_raw alter column payload type json using payload::json;
