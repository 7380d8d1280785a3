// The sink role: crm.outcomes -> ClickHouse. Uses the process's one ClickHouse client (ctx.clickhouse()),
// so inside `inflow start all` it shares the embedded chDB engine with the API; alone it owns the folder.
import type { StartRole } from '../app/role.ts';
import { createKafka, topicName } from '../infra/kafka.ts';
import { createDecoder } from '../schemas/avro.codec.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { schemaType } from '../schemas/schema-files.ts';
import { createOutcomesSink } from './outcomes.sink.ts';
import { createOutcomesStore } from './outcomes.store.ts';
import { applyRetention } from './retention.ts';

const start: StartRole = async ({ cfg, logger, shutdown, clickhouse }) => {
  const ch = clickhouse(); // the DDL (clickhouse/) was applied by startRoles before any role started
  if (cfg.ANALYTICS_RETENTION_DAYS) {
    const changed = await applyRetention(ch, cfg.CLICKHOUSE_DATABASE, cfg.ANALYTICS_RETENTION_DAYS);
    if (changed.length) logger.info({ days: cfg.ANALYTICS_RETENTION_DAYS, tables: changed }, 'retention changed');
  }
  const sink = createOutcomesSink(
    {
      kafka: createKafka(cfg, logger, `${cfg.KAFKA_CLIENT_ID}-sink`),
      decoder: createDecoder(createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL), schemaType('outcome')),
      store: createOutcomesStore(ch, cfg.CLICKHOUSE_DATABASE),
      logger,
    },
    {
      topic: topicName(cfg, 'crm.outcomes'),
      groupId: cfg.SINK_GROUP_ID ?? `${cfg.KAFKA_TOPIC_PREFIX}inflow-sink`,
      maxRows: cfg.SINK_MAX_ROWS,
      maxWaitMs: cfg.SINK_MAX_WAIT_MS,
      killAfterInsert: cfg.SINK_TEST_FAULT ? Number(cfg.SINK_TEST_FAULT.split(':')[1]) : undefined,
    },
  );
  await sink.start();
  shutdown.add('outcomes-sink', () => sink.stop());
};
export default start;
