// The bulk-action tests' world: a topic prefix of their own, the API router, seeded contacts, and in-process
// planner + executors (or child processes for fault tests). Everything real: Kafka, registry, Postgres, Redis.
import { Hono } from 'hono';
import type { Config } from '../../src/config.ts';
import { createApiKey, type Scope } from '../../src/accounts/api-keys.ts';
import { createBulkRouter } from '../../src/bulk/bulk.route.ts';
import { createBulkExecutor } from '../../src/bulk/executor.ts';
import { createBulkPlanner } from '../../src/bulk/planner.ts';
import { createRateLimiter } from '../../src/bulk/rate-limit.ts';
import type { ClickHouseClient } from '../../src/infra/clickhouse.ts';
import { createKafka, ensureTopics, loadTopicDefinitions, topicName } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createPostgres } from '../../src/infra/postgres.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { createDecoder } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { registerSchemas, schemaType } from '../../src/schemas/schema-files.ts';
import { testConfig, unique } from '../support/helpers.ts';

export type BulkWorld = Awaited<ReturnType<typeof createBulkWorld>>;

export async function createBulkWorld(options: { executors?: number; clickhouse?: () => ClickHouseClient; overrides?: Record<string, string> } = {}) {
  const prefix = `${unique('tb')}.`;
  const cfg: Config = testConfig({ KAFKA_TOPIC_PREFIX: prefix, BULK_PLANNER_INTERVAL_MS: '100', ...options.overrides });
  const logger = createLogger(cfg);
  const sql = createPostgres(cfg, { max: 12 });
  const redis = createRedis(cfg);
  const kafka = createKafka(cfg, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, loadTopicDefinitions(), prefix);
  const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
  await registerSchemas(registry, prefix);
  const limiter = createRateLimiter(redis, { prefix: `${prefix}rate:` });
  const app = new Hono();
  app.route(
    '/',
    createBulkRouter({
      sql,
      limiter,
      logger,
      cfg,
      clickhouse: options.clickhouse ?? (() => Promise.reject(new Error('no ClickHouse in this test')) as never),
    }),
  );
  const stops: (() => Promise<void>)[] = [];
  const chunksBy: number[] = [];

  async function startWorkers(count = options.executors ?? 1, withPlanner = true) {
    if (withPlanner) {
      const planner = createBulkPlanner({ cfg, sql, kafka, registry, logger });
      await planner.start();
      stops.push(() => planner.stop());
    }
    for (let i = 0; i < count; i++) {
      const n = chunksBy.push(0) - 1;
      const executor = createBulkExecutor({ cfg, sql, kafka, registry, limiter, logger, onChunk: () => void (chunksBy[n]! += 1) });
      await executor.start();
      stops.push(() => executor.stop());
    }
  }

  async function tenant(scopes: Scope[] = ['read', 'write']) {
    const id = unique('bulk-tenant');
    const { key } = await createApiKey(sql, { tenantId: id, scopes });
    return { id, key };
  }

  /** `n` contacts c-000001.. for a tenant, inserted in one statement. */
  async function seed(tenantId: string, n: number, opts: { country?: string; idPrefix?: string } = {}) {
    await sql`
      insert into contacts (tenant_id, id, first_name, last_name, email, country, owner_id, tags)
      select ${tenantId}, ${opts.idPrefix ?? 'c-'} || lpad(g::text, 7, '0'), 'First' || g, 'Last' || g, 'user' || g || '@example.com',
             ${opts.country ?? 'FR'}, 'owner-' || (g % 7), array['seed']
      from generate_series(1, ${n}) g`;
  }

  function call(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) {
    return app.request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  async function waitStatus(tenantKey: string, id: string, statuses: string[], timeoutMs = 90_000) {
    return waitFor(`bulk action ${id} in ${statuses.join('|')}`, async () => {
      const res = await call('GET', `/v1/bulk-actions/${id}`, tenantKey);
      const body = (await res.json()) as { status: string };
      return statuses.includes(body.status) ? body : undefined;
    }, timeoutMs, 200);
  }

  /** Every outcome on this world's crm.outcomes topic, decoded. */
  async function readOutcomes(expected: number, timeoutMs = 60_000, bulkActionId?: string) {
    const consumer = kafka.consumer({ groupId: unique('g.bulk-outcomes') });
    const decoder = createDecoder(registry, schemaType('outcome'));
    const out: Record<string, unknown>[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: topicName(cfg, 'crm.outcomes'), fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (!m.value) continue;
          const { value } = await decoder.decode<Record<string, unknown>>(m.value);
          if (!bulkActionId || value.bulk_action_id === bulkActionId) out.push(value);
        }
      },
    });
    await waitFor(`${expected} outcomes`, async () => out.length >= expected, timeoutMs, 200);
    await new Promise((r) => setTimeout(r, 500)); // a moment for any extra (duplicate) outcome to show up
    await consumer.disconnect();
    return out;
  }

  return {
    cfg,
    sql,
    redis,
    kafka,
    app,
    prefix,
    chunksBy,
    startWorkers,
    tenant,
    seed,
    call,
    waitFor,
    waitStatus,
    readOutcomes,
    async close() {
      for (const stop of stops.reverse()) await stop();
      // this world's private topics go with it: the bench's 1M-contact runs leave ~2 GB of changes each otherwise
      const mine = loadTopicDefinitions().map((t) => `${prefix}${t.name}`);
      await admin.deleteTopics({ topics: mine, timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect();
      await redis.quit();
      await sql.end({ timeout: 5 });
    },
  };
}
