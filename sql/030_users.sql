-- 030: people who log in (seed 002/004 auth) and their refresh tokens. Tenants are the accounts (001).
create table users (
  id             uuid primary key default gen_random_uuid(),
  tenant_id      text not null references tenants(id),
  email          text not null,                    -- trimmed, lower-cased
  password_hash  text not null,                    -- argon2id PHC string
  role           text not null check (role in ('admin', 'editor', 'viewer')),
  created_at     timestamptz not null default now(),
  disabled_at    timestamptz
);
-- login is by email alone, so an email belongs to one user across all accounts
create unique index users_email on users (lower(email));
create index users_tenant on users (tenant_id);

-- Opaque refresh tokens, stored as sha256 (192-bit random, no stretching needed), rotated on every use.
-- A family is one login session: reusing an already rotated token revokes the whole family (stolen-token detection).
create table refresh_tokens (
  id          uuid primary key default gen_random_uuid(),
  user_id     uuid not null references users(id) on delete cascade,
  tenant_id   text not null references tenants(id),
  family_id   uuid not null,
  token_hash  bytea not null unique,
  expires_at  timestamptz not null,
  created_at  timestamptz not null default now(),
  used_at     timestamptz,
  revoked_at  timestamptz
);
create index refresh_tokens_family on refresh_tokens (family_id);
