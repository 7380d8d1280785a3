// The edge role (`inflow start edge`): wires Postgres (API keys, webhook sources), Redis (idempotency, rate limits),
// the schema registry and one batching Kafka producer into the edge app, and mounts it on the process's HTTP server.
// Shutdown (reverse order): the HTTP server stops accepting and drains first, then the producer flushes.
import { createApiKeyVerifier, ensureTenant } from '../accounts/api-keys.ts';
import type { StartRole } from '../app/role.ts';
import { createKafka, topicName } from '../infra/kafka.ts';
import { createPostgres } from '../infra/postgres.ts';
import { createRedis } from '../infra/redis.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { createEdgeRuntime } from './edge.runtime.ts';

const start: StartRole = async ({ cfg, logger, shutdown, http }) => {
  const sql = createPostgres(cfg, { applicationName: 'inflow-edge', max: 4 }); // key and source lookups are cached: few connections
  shutdown.add('edge.postgres', () => sql.end({ timeout: 5 }));
  const redis = createRedis(cfg);
  shutdown.add('edge.redis', async () => void (await redis.quit().catch(() => undefined)));
  if (cfg.LEAD_CAPTURE_TENANT) await ensureTenant(sql, cfg.LEAD_CAPTURE_TENANT);

  const runtime = createEdgeRuntime({
    cfg,
    logger,
    sql,
    redis,
    kafka: createKafka(cfg, logger, `${cfg.KAFKA_CLIENT_ID}-edge`),
    registry: createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL),
    apiKeys: createApiKeyVerifier(sql),
    topic: topicName(cfg, 'crm.events'),
    dlqTopic: topicName(cfg, 'crm.events.dlq'),
  });
  shutdown.add('edge.producer', () => runtime.close());
  // The schema id is looked up now so the first request does not pay for it; a registry outage is retried per request.
  await runtime.publisher.schemaId().catch((err: unknown) => logger.warn({ err }, 'schema registry unavailable at start'));
  http.route('/', runtime.app);
  logger.info({ topic: topicName(cfg, 'crm.events') }, 'edge ready: POST /v1/events, /api/lead, /api/webhooks, /v1/webhooks/:source, /ingest');
};
export default start;
