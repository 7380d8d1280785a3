// One edge runtime per test file, on the real stack: real Postgres keys, Redis, registry and broker.
// Tests use the real crm.events topics and recognise their own messages by a unique tenant.
import { createApiKey, createApiKeyVerifier, ensureTenant } from '../../src/accounts/api-keys.ts';
import type { Config } from '../../src/config.ts';
import { createEdgeRuntime, type EdgeRuntime } from '../../src/edge/edge.runtime.ts';
import { createKafka, type Kafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createPostgres, type Sql } from '../../src/infra/postgres.ts';
import { createRedis, type Redis } from '../../src/infra/redis.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { testConfig, unique } from '../support/helpers.ts';
import { collect, type Collector } from './kafka.collector.ts';

export const TOPIC = 'crm.events';
export const DLQ_TOPIC = 'crm.events.dlq';

export interface EdgeFixture {
  cfg: Config;
  sql: Sql;
  redis: Redis;
  kafka: Kafka;
  runtime: EdgeRuntime;
  tenant: string;
  key: string;
  readKey: string;
  events: Collector;
  dlq: Collector;
  request(path: string, init: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export function runtimeFor(cfg: Config, clients: { sql: Sql; redis: Redis; kafka: Kafka }): EdgeRuntime {
  const logger = createLogger(cfg);
  return createEdgeRuntime({
    cfg,
    logger,
    ...clients,
    registry: createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL),
    apiKeys: createApiKeyVerifier(clients.sql),
    topic: TOPIC,
    dlqTopic: DLQ_TOPIC,
  });
}

export async function edgeFixture(overrides: Record<string, string> = {}): Promise<EdgeFixture> {
  const tenant = unique('t-edge');
  const cfg = testConfig({ LEAD_CAPTURE_TENANT: `${tenant}-leads`, ACME_WEBHOOK_TENANT: `${tenant}-acme`, ...overrides });
  const sql = createPostgres(cfg, { max: 4 });
  const redis = createRedis(cfg);
  const kafka = createKafka(cfg);
  const { key } = await createApiKey(sql, { tenantId: tenant, scopes: ['ingest'] });
  const { key: readKey } = await createApiKey(sql, { tenantId: tenant, scopes: ['read'] });
  await ensureTenant(sql, `${tenant}-leads`);
  await ensureTenant(sql, `${tenant}-acme`);
  const mine = (m: { key: string; headers: Record<string, string> }) => m.key.startsWith(tenant) || (m.headers.tenant_id ?? '').startsWith(tenant);
  const events = await collect(kafka, TOPIC, mine);
  const dlq = await collect(kafka, DLQ_TOPIC, mine);
  const runtime = runtimeFor(cfg, { sql, redis, kafka });
  return {
    cfg,
    sql,
    redis,
    kafka,
    runtime,
    tenant,
    key,
    readKey,
    events,
    dlq,
    request(path, init) {
      const headers = new Headers(init.headers);
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      return Promise.resolve(runtime.app.request(path, { method: 'POST', ...init, headers, body }));
    },
    async close() {
      await runtime.close();
      await Promise.all([events.stop(), dlq.stop()]);
      await redis.quit();
      await sql.end({ timeout: 5 });
    },
  };
}
