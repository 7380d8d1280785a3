// Signed webhook sources: rows of webhook_sources (sql/010), cached briefly; AcmeCRM may instead come from
// ACME_WEBHOOK_SECRET / ACME_WEBHOOK_TENANT (seed 002's own configuration).
import type { Config } from '../config.ts';
import type { Sql } from '../infra/postgres.ts';

export interface WebhookSource {
  name: string;
  tenantId: string;
  scheme: 'standard' | 'acme';
  mapping: 'standard' | 'acme';
  secrets: string[];
}

export interface WebhookSources {
  get(name: string): Promise<WebhookSource | null>;
}

export function createWebhookSources(
  sql: Sql,
  cfg: Pick<Config, 'ACME_WEBHOOK_SECRET' | 'ACME_WEBHOOK_TENANT'>,
  { ttlMs = 10_000 } = {}, // a rotated secret is picked up within 10 s
): WebhookSources {
  const cache = new Map<string, { source: WebhookSource | null; expires: number }>();
  const acmeFromEnv: WebhookSource | null = cfg.ACME_WEBHOOK_SECRET
    ? { name: 'acme', tenantId: cfg.ACME_WEBHOOK_TENANT, scheme: 'acme', mapping: 'acme', secrets: cfg.ACME_WEBHOOK_SECRET.split(',').map((s) => s.trim()).filter(Boolean) }
    : null;
  return {
    async get(name) {
      if (name === 'acme' && acmeFromEnv) return acmeFromEnv;
      const hit = cache.get(name);
      if (hit && hit.expires > Date.now()) return hit.source;
      const [row] = await sql<{ name: string; tenant_id: string; scheme: WebhookSource['scheme']; mapping: WebhookSource['mapping']; secrets: string[] }[]>`
        select name, tenant_id, scheme, mapping, secrets from webhook_sources where name = ${name} -- edge.webhookSources.get`;
      const source: WebhookSource | null = row ? { name: row.name, tenantId: row.tenant_id, scheme: row.scheme, mapping: row.mapping, secrets: row.secrets } : null;
      cache.set(name, { source, expires: Date.now() + ttlMs });
      return source;
    },
  };
}
