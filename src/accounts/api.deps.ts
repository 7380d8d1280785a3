// The api role's composition root: the clients and verifiers its routers share, each closed on shutdown.
import type { Producer } from 'kafkajs';
import type { Config } from '../config.ts';
import { createKafka } from '../infra/kafka.ts';
import type { Logger } from '../infra/logger.ts';
import { createPostgres, type Sql } from '../infra/postgres.ts';
import { createRedis, type Redis } from '../infra/redis.ts';
import type { Shutdown } from '../infra/shutdown.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { createTenantDb, type TenantDb } from '../contacts/contacts.repository.ts';
import { createOutboxRelay, type OutboxRelay } from '../contacts/outbox.relay.ts';
import { createAccess, type Access } from './access.ts';
import { createApiKeyVerifier, type ApiKeyVerifier } from './api-keys.ts';
import { createTokenService, type TokenService } from './tokens.ts';

export interface ApiDeps {
  sql: Sql;
  redis: Redis;
  producer: Producer;
  apiKeys: ApiKeyVerifier;
  tokens: TokenService;
  /** access('read' | 'write' | 'admin' | 'ingest'): authentication + role check + per-account rate limit. */
  access: Access;
  db: TenantDb;
  relay: OutboxRelay;
  logger: Logger;
  maxBodyBytes: number;
}

/** The Postgres role API transactions switch to so row-level security applies (sql/033_rls.sql). */
export const RLS_ROLE = 'inflow_api';

export async function createApiDeps(cfg: Config, logger: Logger, shutdown?: Shutdown, options: { rateLimitPrefix?: string } = {}): Promise<ApiDeps> {
  const sql = createPostgres(cfg, { applicationName: 'inflow-api' });
  shutdown?.add('api-postgres', () => sql.end({ timeout: 5 }));
  const redis = createRedis(cfg);
  shutdown?.add('api-redis', async () => void (await redis.quit()));
  // connected by the relay on first use: API writes only need Postgres (the outbox), so Kafka being down delays, never blocks, them
  const producer = createKafka(cfg, logger, `${cfg.KAFKA_CLIENT_ID}-api`).producer({ idempotent: true, maxInFlightRequests: 1 }); // idempotent producer ordering
  shutdown?.add('api-producer', () => producer.disconnect());

  const apiKeys = createApiKeyVerifier(sql);
  const tokens = createTokenService({ sql, redis, logger }, cfg);
  const access = createAccess({ apiKeys, tokens, redis, logger }, { limit: cfg.API_RATE_LIMIT_PER_MINUTE, ...(options.rateLimitPrefix ? { prefix: options.rateLimitPrefix } : {}) });
  const relay = createOutboxRelay({ sql, producer, registry: createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL), logger: logger.child({ module: 'outbox-relay' }) }, cfg);
  shutdown?.add('outbox-relay', () => relay.stop()); // stops before the producer and Postgres close (reverse order)
  return { sql, redis, producer, apiKeys, tokens, access, db: createTenantDb(sql, { rlsRole: RLS_ROLE }), relay, logger, maxBodyBytes: cfg.API_BODY_LIMIT_BYTES };
}
