-- 032: contacts search (?q=) over names, email and company: full text ('simple' config: names are not dictionary
-- words) plus trigrams for substrings and typos. Expression indexes, so the contacts table's columns do not change.
create function contacts_search_text(first_name text, last_name text, email text, company text) returns text
  language sql immutable parallel safe
  return coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(company, '');

create index contacts_fts on contacts
  using gin (to_tsvector('simple'::regconfig, contacts_search_text(first_name, last_name, email, company)));
create index contacts_trgm on contacts
  using gin (contacts_search_text(first_name, last_name, email, company) gin_trgm_ops);
-- keyset pagination on the sortable columns (updated_at already has contacts_updated)
create index contacts_created on contacts (tenant_id, created_at, id);
