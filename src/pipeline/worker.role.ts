// The worker role (`inflow start worker --concurrency N`): the consumer pool and its routes (control API, DLQ,
// where-is-my-event) on the process's HTTP app. WORKER_POOL=processes (default): N supervised OS processes, one consumer
// each (worker.pool.ts); inline: N consumers in this process (createWorker). Shutdown: consumers leave the group first
// (a batch in flight finishes and commits, or is redelivered), then the producer and the connections close.
import { createApiKeyVerifier } from '../accounts/api-keys.ts';
import type { StartRole } from '../app/role.ts';
import { createKafka, topicName } from '../infra/kafka.ts';
import { metricsRegistry } from '../infra/metrics.ts';
import { createPostgres } from '../infra/postgres.ts';
import { createRedis } from '../infra/redis.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { createDlqService } from './dlq.service.ts';
import { createWorkerPool, workerOptionsFrom } from './worker.pool.ts';
import { createWorkerRoutes, type WorkerControl } from './worker.routes.ts';

const start: StartRole = async ({ cfg, logger, shutdown, http, options }) => {
  const concurrency = options.concurrency ?? cfg.WORKER_CONCURRENCY;
  const inline = cfg.WORKER_POOL === 'inline';
  // inline: one connection per consumer for its batch transaction, plus the routes and maintenance; processes: routes only
  const sql = createPostgres(cfg, { applicationName: 'inflow-worker', max: inline ? concurrency * cfg.WORKER_PARTITIONS_PER_CONSUMER + 2 : 3 });
  shutdown.add('worker.postgres', () => sql.end({ timeout: 5 }));
  const kafka = createKafka(cfg, logger, `${cfg.KAFKA_CLIENT_ID}-worker`);
  const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
  const workerOptions = { ...workerOptionsFrom(cfg), concurrency, faultPoint: cfg.INFLOW_FAULT_POINT };
  const { groupId } = workerOptions;
  const eventsTopic = topicName(cfg, 'crm.events');
  const producer = kafka.producer();
  await producer.connect();
  shutdown.add('worker.producer', () => producer.disconnect());
  const admin = kafka.admin();
  await admin.connect();
  shutdown.add('worker.admin', () => admin.disconnect());

  let worker: WorkerControl;
  if (inline) {
    const { createWorker } = await import('./worker.ts');
    const redis = createRedis(cfg);
    shutdown.add('worker.redis', () => void redis.disconnect());
    const consumers = createWorker({ kafka, sql, redis, registry, logger }, workerOptions);
    await consumers.start();
    shutdown.add('worker.consumers', () => consumers.stop());
    worker = consumers;
  } else {
    const pool = createWorkerPool(
      { logger, admin, registry: metricsRegistry },
      { size: concurrency, groupId, topic: eventsTopic, faultPoint: cfg.INFLOW_FAULT_POINT },
    );
    await pool.start();
    shutdown.add('worker.pool', () => pool.stop());
    worker = pool;
  }
  const dlq = createDlqService({ sql, producer }, { eventsTopic });
  http.route('/', createWorkerRoutes({ worker, dlq, sql, admin, producer, registry, apiKeys: createApiKeyVerifier(sql), groupId, eventsTopic }));
  logger.info({ concurrency, pool: cfg.WORKER_POOL, groupId, topic: eventsTopic }, 'worker ready: /api/v1/crm-ingestion/*, /v1/dlq, /v1/events/:event_id');
};
export default start;
