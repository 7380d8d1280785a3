// Per-tenant API keys: random, shown once, stored as sha256 (keys are 192-bit random, so no stretching is needed),
// cached in memory for a short TTL so the hot path costs no Postgres round trip.
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../infra/postgres.ts';

export const SCOPES = ['ingest', 'read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyPrincipal {
  kind: 'api_key';
  keyId: string;
  tenantId: string;
  scopes: Scope[];
}

const KEY_PREFIX = 'ifk_';

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function generateKey(): string {
  return KEY_PREFIX + randomBytes(24).toString('base64url');
}

export async function ensureTenant(sql: Sql, tenantId: string, name = tenantId): Promise<void> {
  await sql`insert into tenants (id, name) values (${tenantId}, ${name}) on conflict (id) do nothing -- api-keys.ensureTenant`;
}

/** Creates a key; the clear key is returned once and never stored. */
export async function createApiKey(
  sql: Sql,
  input: { tenantId: string; scopes: Scope[]; name?: string },
): Promise<{ id: string; key: string; prefix: string }> {
  const key = generateKey();
  const prefix = key.slice(0, 10);
  await ensureTenant(sql, input.tenantId);
  const [row] = await sql<{ id: string }[]>`
    insert into api_keys (tenant_id, name, prefix, key_hash, scopes)
    values (${input.tenantId}, ${input.name ?? ''}, ${prefix}, ${hashKey(key)}, ${input.scopes})
    returning id -- api-keys.create`;
  return { id: row!.id, key, prefix };
}

export async function revokeApiKey(sql: Sql, tenantId: string, keyId: string): Promise<boolean> {
  const rows = await sql`
    update api_keys set revoked_at = now() where id = ${keyId} and tenant_id = ${tenantId} and revoked_at is null
    returning id -- api-keys.revoke`;
  return rows.length > 0;
}

export interface ApiKeyVerifier {
  /** The principal for a key, or null for an unknown or revoked one. */
  verify(key: string): Promise<ApiKeyPrincipal | null>;
  /** Forgets cached answers (after a revoke in this process). */
  clear(): void;
}

/**
 * Verifies keys against Postgres with a TTL cache (a revoked key stops working within ttlMs everywhere).
 * last_used_at is written at most once per key per cache period, off the request path.
 */
export function createApiKeyVerifier(sql: Sql, { ttlMs = 30_000, maxEntries = 10_000 } = {}): ApiKeyVerifier {
  // Keyed by the key as sent, not its hash: a SHA-256 per request was ~4% of the edge's CPU on single-event requests.
  // The clear key is in this process's memory for every request that carries it anyway; the cache is never logged,
  // persisted or shared, and forgets each entry after ttlMs.
  const cache = new Map<string, { principal: ApiKeyPrincipal | null; expires: number }>();
  return {
    async verify(key) {
      if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
      const hit = cache.get(key);
      if (hit && hit.expires > Date.now()) return hit.principal;
      const digest = hashKey(key);
      if (cache.size >= maxEntries) cache.clear(); // many distinct keys (a scan with random keys): start over
      const [row] = await sql<{ id: string; tenant_id: string; scopes: Scope[] }[]>`
        select id, tenant_id, scopes from api_keys where key_hash = ${digest} and revoked_at is null -- api-keys.verify`;
      const principal: ApiKeyPrincipal | null = row ? { kind: 'api_key', keyId: row.id, tenantId: row.tenant_id, scopes: row.scopes } : null;
      cache.set(key, { principal, expires: Date.now() + ttlMs });
      if (principal) {
        sql`update api_keys set last_used_at = now() where id = ${principal.keyId} -- api-keys.touch`.catch(() => {
          /* last-used time is informational; never fail a request over it */
        });
      }
      return principal;
    },
    clear() {
      cache.clear();
    },
  };
}

export interface ApiKeyListing {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** A tenant's keys without their hashes (the clear key was shown once, at creation). */
export function listApiKeys(sql: Sql, tenantId: string): Promise<ApiKeyListing[]> {
  return sql<ApiKeyListing[]>`
    select id, name, prefix, scopes, created_at, last_used_at, revoked_at from api_keys
    where tenant_id = ${tenantId} order by created_at, id -- api-keys.list`;
}
