// The worker role (`inflow start worker --concurrency N`): the consumer pool, its partition maintenance, and its routes
// (control API, DLQ, where-is-my-event) on the process's HTTP app. Shutdown: consumers leave the group first (a batch in
// flight finishes or is redelivered), then the producer and the connections close.
import { createApiKeyVerifier } from '../accounts/api-keys.ts';
import type { StartRole } from '../app/role.ts';
import { createKafka, topicName } from '../infra/kafka.ts';
import { createPostgres } from '../infra/postgres.ts';
import { createRedis } from '../infra/redis.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { createDlqService } from './dlq.service.ts';
import { createWorker } from './worker.ts';
import { createWorkerRoutes } from './worker.routes.ts';

const start: StartRole = async ({ cfg, logger, shutdown, http, options }) => {
  const concurrency = options.concurrency ?? cfg.WORKER_CONCURRENCY;
  // one connection per consumer for its batch transaction, plus the routes and maintenance
  const sql = createPostgres(cfg, { applicationName: 'inflow-worker', max: concurrency + 2 });
  shutdown.add('worker.postgres', () => sql.end({ timeout: 5 }));
  const redis = createRedis(cfg);
  shutdown.add('worker.redis', () => void redis.disconnect());
  const kafka = createKafka(cfg, logger, `${cfg.KAFKA_CLIENT_ID}-worker`);
  const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
  const groupId = cfg.WORKER_GROUP_ID ?? `${cfg.KAFKA_TOPIC_PREFIX}inflow-worker`;
  const eventsTopic = topicName(cfg, 'crm.events');

  const worker = createWorker(
    { kafka, sql, redis, registry, logger },
    {
      groupId,
      topic: eventsTopic,
      emit: { outcomes: topicName(cfg, 'crm.outcomes'), changes: topicName(cfg, 'crm.changes'), dlq: topicName(cfg, 'crm.events.dlq') },
      concurrency,
      batchSize: cfg.WORKER_BATCH_SIZE,
      dedupWindowDays: cfg.DEDUP_WINDOW_DAYS,
      namespace: cfg.KAFKA_TOPIC_PREFIX,
      geoip: cfg.WORKER_GEOIP === 'on',
      faultPoint: cfg.INFLOW_FAULT_POINT,
    },
  );
  const producer = kafka.producer();
  await producer.connect();
  shutdown.add('worker.producer', () => producer.disconnect());
  const admin = kafka.admin();
  await admin.connect();
  shutdown.add('worker.admin', () => admin.disconnect());

  await worker.start();
  shutdown.add('worker.pool', () => worker.stop());
  const dlq = createDlqService({ sql, producer }, { eventsTopic });
  http.route('/', createWorkerRoutes({ worker, dlq, sql, admin, producer, registry, apiKeys: createApiKeyVerifier(sql), groupId, eventsTopic }));
  logger.info({ concurrency, groupId, topic: eventsTopic }, 'worker ready: /api/v1/crm-ingestion/*, /v1/dlq, /v1/events/:event_id');
};
export default start;
