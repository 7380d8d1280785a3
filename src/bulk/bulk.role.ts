// The bulk role: the planner and the executors (the bulk-actions API is mounted by the api role: bulk.routes.ts).
// Several `inflow start bulk` processes share the work: planners claim actions with SKIP LOCKED, executors form
// one consumer group on crm.bulk.chunks, and the rate limit lives in Redis.
import type { StartRole } from '../app/role.ts';
import { createKafka, ensureTopics, loadTopicDefinitions } from '../infra/kafka.ts';
import { createPostgres } from '../infra/postgres.ts';
import { createRedis } from '../infra/redis.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { createBulkExecutor } from './executor.ts';
import { createGinFlusher } from './gin.flusher.ts';
import { createIngestYield } from './ingest.yield.ts';
import { createBulkPlanner } from './planner.ts';
import { createRateLimiter } from './rate-limit.ts';

const start: StartRole = async ({ cfg, logger, shutdown }) => {
  const sql = createPostgres(cfg, { applicationName: 'inflow-bulk' });
  shutdown.add('bulk.postgres', () => sql.end({ timeout: 5 }));
  const redis = createRedis(cfg);
  shutdown.add('bulk.redis', async () => void (await redis.quit()));
  const kafka = createKafka(cfg, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, loadTopicDefinitions(), cfg.KAFKA_TOPIC_PREFIX);
  await admin.disconnect();
  const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
  const limiter = createRateLimiter(redis);

  const planner = createBulkPlanner({ cfg, sql, kafka, registry, logger });
  await planner.start();
  shutdown.add('bulk.planner', () => planner.stop());
  const ginSql = createPostgres(cfg, { applicationName: 'inflow-bulk-gin', max: 1 }); // one session: see gin.flusher.ts
  const flusher = createGinFlusher({ sql: ginSql, logger });
  flusher.start();
  shutdown.add('bulk.ginFlusher', async () => {
    await flusher.stop();
    await ginSql.end({ timeout: 5 });
  });
  const ingestYield = createIngestYield({ cfg, kafka, logger });
  const executor = createBulkExecutor({ cfg, sql, kafka, registry, limiter, ingestYield, logger });
  await executor.start();
  shutdown.add('bulk.executor', async () => {
    await executor.stop();
    await ingestYield.stop();
  });
  logger.info('bulk role started: planner and executors');
};
export default start;
