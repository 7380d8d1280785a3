// `inflow up | down | status`: the real services as local processes on loopback, data under INFLOW_HOME.
import type { Config } from '../config.ts';
import { ClickHouseFolderLockedError, createClickHouse } from '../infra/clickhouse.ts';
import { createKafka, ensureTopics, loadTopicDefinitions } from '../infra/kafka.ts';
import { createPostgres } from '../infra/postgres.ts';
import { migrateClickHouse } from '../migrate/clickhouse.migrate.ts';
import { migratePostgres } from '../migrate/postgres.migrate.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { registerSchemas } from '../schemas/schema-files.ts';
import { clickhouseStatus } from './clickhouse.service.ts';
import { kafkaService } from './kafka.service.ts';
import { postgresService } from './postgres.service.ts';
import { redisService } from './redis.service.ts';
import { registryService } from './registry.service.ts';
import type { LocalService, ServiceStatus } from './service.ts';

export function localServices(cfg: Config) {
  return {
    postgres: postgresService(cfg),
    redis: redisService(cfg),
    kafka: kafkaService(cfg),
    registry: registryService(cfg),
  };
}

export type ServiceName = keyof ReturnType<typeof localServices>;

export interface UpResult {
  seconds: number;
  migrations: string[];
  clickhouseMigrations: string[] | string;
  topicsCreated: string[];
  schemas: Record<string, number>;
}

export async function up(cfg: Config, log: (msg: string) => void = () => {}, options: { clickhouse?: boolean } = {}): Promise<UpResult> {
  const started = performance.now();
  const services = localServices(cfg);
  const all: LocalService[] = Object.values(services);

  // mvn fetches share ~/.m2, so they run one after the other; apt-get runs beside them.
  await Promise.all([
    (async () => {
      await services.kafka.install(log);
      await services.registry.install(log);
    })(),
    (async () => {
      await services.postgres.install(log);
      await services.redis.install(log);
    })(),
  ]);
  await Promise.all(all.map((s) => s.start(log)));
  await Promise.all(all.map((s) => s.ready()));

  const init = await initialize(cfg, options);
  return { seconds: (performance.now() - started) / 1000, ...init };
}

/**
 * What every environment needs before inflow runs, local stack or not (compose, production):
 * Postgres migrations, topics from redpanda/topics.yaml, Avro schemas in the registry, ClickHouse DDL. Idempotent.
 */
export async function initialize(cfg: Config, options: { clickhouse?: boolean } = {}): Promise<Omit<UpResult, 'seconds'>> {
  const sql = createPostgres(cfg, { max: 1, applicationName: 'inflow-migrate' });
  let migrations: string[];
  try {
    migrations = await migratePostgres(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }

  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  let topicsCreated: string[];
  try {
    topicsCreated = await ensureTopics(admin, loadTopicDefinitions(), cfg.KAFKA_TOPIC_PREFIX);
  } finally {
    await admin.disconnect();
  }

  const schemas = await registerSchemas(createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL), cfg.KAFKA_TOPIC_PREFIX);

  let clickhouseMigrations: string[] | string = 'skipped';
  if (options.clickhouse !== false) {
    try {
      const ch = createClickHouse(cfg);
      try {
        clickhouseMigrations = await migrateClickHouse(ch, cfg.CLICKHOUSE_DATABASE);
      } finally {
        await ch.close();
      }
    } catch (err) {
      // A running `inflow start` owns the embedded engine and applies the DDL itself when it starts.
      if (!(err instanceof ClickHouseFolderLockedError)) throw err;
      clickhouseMigrations = 'skipped (embedded engine held by a running inflow process, which applies DDL at its start)';
    }
  }

  return { migrations, clickhouseMigrations, topicsCreated, schemas };
}

export async function down(cfg: Config, log: (msg: string) => void = () => {}): Promise<void> {
  const s = localServices(cfg);
  for (const service of [s.registry, s.kafka, s.redis, s.postgres]) {
    log(`stopping ${service.name}`);
    await service.stop();
  }
}

export async function status(cfg: Config): Promise<ServiceStatus[]> {
  const s = localServices(cfg);
  return Promise.all([s.postgres.status(), s.redis.status(), s.kafka.status(), s.registry.status(), clickhouseStatus(cfg)]);
}
