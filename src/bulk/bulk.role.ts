// The bulk role: the bulk-actions API (mounted on the process's HTTP app), the planner and the executors.
// Several `inflow start bulk` processes share the work: planners claim actions with SKIP LOCKED, executors form
// one consumer group on crm.bulk.chunks, and the rate limit lives in Redis.
import type { StartRole } from '../app/role.ts';
import { createKafka, ensureTopics, loadTopicDefinitions } from '../infra/kafka.ts';
import { createPostgres } from '../infra/postgres.ts';
import { createRedis } from '../infra/redis.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { createBulkRouter } from './bulk.route.ts';
import { createBulkExecutor } from './executor.ts';
import { createBulkPlanner } from './planner.ts';
import { createRateLimiter } from './rate-limit.ts';

const start: StartRole = async ({ cfg, logger, shutdown, http, clickhouse }) => {
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

  http.route('/', createBulkRouter({ sql, limiter, clickhouse, cfg, logger }));

  const planner = createBulkPlanner({ cfg, sql, kafka, registry, logger });
  await planner.start();
  shutdown.add('bulk.planner', () => planner.stop());
  const executor = createBulkExecutor({ cfg, sql, kafka, registry, limiter, logger });
  await executor.start();
  shutdown.add('bulk.executor', () => executor.stop());
  logger.info('bulk role started: API /v1/bulk-actions, planner, executors');
};
export default start;
