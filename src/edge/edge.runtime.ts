// Builds the edge's collaborators from clients; shared by the role, the tests and the benchmark.
import type { ApiKeyVerifier } from '../accounts/api-keys.ts';
import type { Config } from '../config.ts';
import type { Kafka } from '../infra/kafka.ts';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import type { Redis } from '../infra/redis.ts';
import type { SchemaRegistry } from '../schemas/registry.client.ts';
import { createBatchingProducer, type BatchingProducer } from './batching.producer.ts';
import { createEdgeApp } from './edge.app.ts';
import type { EdgeDeps } from './edge.deps.ts';
import { createEventPublisher, type EventPublisher } from './event.publisher.ts';
import { createIdempotencyStore } from './idempotency.store.ts';
import { createRateLimiter } from './rate-limit.middleware.ts';
import { createWebhookSources } from './webhook-sources.repository.ts';

export interface EdgeRuntime {
  app: ReturnType<typeof createEdgeApp>;
  deps: EdgeDeps;
  producer: BatchingProducer;
  publisher: EventPublisher;
  /** Flushes the producer and disconnects it. */
  close(): Promise<void>;
}

export function createEdgeRuntime(input: {
  cfg: Config;
  logger: Logger;
  sql: Sql;
  redis: Redis;
  kafka: Kafka;
  registry: SchemaRegistry;
  apiKeys: ApiKeyVerifier;
  topic: string;
  dlqTopic: string;
}): EdgeRuntime {
  const { cfg, logger, redis, kafka, registry } = input;
  const producer = createBatchingProducer(
    { kafka, logger },
    { lingerMs: cfg.EDGE_LINGER_MS, maxBatchMessages: cfg.EDGE_BATCH_MAX_MESSAGES, timeoutMs: cfg.EDGE_PRODUCE_TIMEOUT_MS, producers: cfg.EDGE_PRODUCERS },
  );
  const publisher = createEventPublisher({ producer, registry, logger }, { topic: input.topic, dlqTopic: input.dlqTopic });
  const admin = kafka.admin();
  let adminConnected: Promise<void> | undefined;
  const deps: EdgeDeps = {
    logger,
    apiKeys: input.apiKeys,
    publisher,
    idempotency: createIdempotencyStore({ redis, logger }, { ttlSeconds: cfg.EDGE_IDEMPOTENCY_TTL_S }),
    limiter: createRateLimiter({ redis, logger }, { perSecond: cfg.EDGE_RATE_LIMIT_PER_S, burst: cfg.EDGE_RATE_LIMIT_BURST }),
    sources: createWebhookSources(input.sql, cfg),
    settings: cfg,
    async ready() {
      const broker = (async () => {
        adminConnected ??= admin.connect();
        await adminConnected;
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0;
      })().catch(() => {
        adminConnected = undefined;
        return false;
      });
      const [b, r] = await Promise.all([withTimeout(broker, 3_000), withTimeout(registry.ping(), 3_000)]);
      return { broker: b, registry: r };
    },
  };
  return {
    app: createEdgeApp(deps),
    deps,
    producer,
    publisher,
    async close() {
      await producer.close();
      await admin.disconnect().catch(() => undefined);
    },
  };
}

function withTimeout(p: Promise<boolean>, ms: number): Promise<boolean> {
  return Promise.race([p, new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
}
