-- 010: signed webhook sources for the edge (POST /v1/webhooks/:source, and AcmeCRM's POST /api/webhooks).
-- The signing secrets must be readable (HMAC needs them), so this table is as sensitive as the API's own secrets.
create table webhook_sources (
  name        text primary key check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),  -- the :source path segment; events get source "webhook:<name>"
  tenant_id   text not null references tenants(id),
  scheme      text not null default 'standard' check (scheme in ('standard', 'acme')),  -- header and signing convention
  mapping     text not null default 'standard' check (mapping in ('standard', 'acme')), -- payload -> CrmEvent envelope
  -- every secret that verifies; during a rotation list the new and the old one, then drop the old
  secrets     text[] not null check (cardinality(secrets) between 1 and 5),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
