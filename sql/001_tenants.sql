-- 001: tenants and their API keys. Every other table carries tenant_id.
create table tenants (
  id          text primary key,
  name        text not null,
  -- salt for hashing PII (email, phone) before it leaves Postgres for ClickHouse
  pii_salt    bytea not null default gen_random_bytes(16),
  created_at  timestamptz not null default now()
);

create table api_keys (
  id            uuid primary key default gen_random_uuid(),
  tenant_id     text not null references tenants(id),
  name          text not null default '',
  -- the first characters of the key, shown in listings so a key can be recognised without being stored
  prefix        text not null,
  -- sha256 of the whole key; API keys are long random strings, so a fast hash is enough (no password stretching needed)
  key_hash      bytea not null unique,
  scopes        text[] not null check (scopes <@ array['ingest','read','write','admin']::text[] and cardinality(scopes) > 0),
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
create index api_keys_tenant on api_keys (tenant_id);
