// Sink rows/s vs a raw @clickhouse/client insert of the same rows, same engine, same run.
//   flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/analytics/sink.bench.ts [--rows 200000] [--batch 10000]
// raw  : the rows as objects already in memory, client.insert(JSONEachRow) in batches of --batch into <db>_raw.outcomes
// sink : the same rows as Avro on a private crm.outcomes topic (6 partitions); the sink reads, decodes, checks held
//        positions, inserts (one INSERT per --batch rows, dedup token) and commits, into <db>_sink.outcomes.
// Both databases carry the full DDL (table + materialized views), so both inserts do the same ClickHouse work.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createOutcomesSink } from '../../src/analytics/outcomes.sink.ts';
import { createOutcomesStore } from '../../src/analytics/outcomes.store.ts';
import { OUTCOME_COLUMNS, toRowLine, type OutcomeRecord } from '../../src/analytics/outcome.row.ts';
import { sinkMetrics } from '../../src/analytics/sink.metrics.ts';
import { loadConfig, PROJECT_ROOT } from '../../src/config.ts';
import { createClickHouse } from '../../src/infra/clickhouse.ts';
import { deleteBenchTopics } from '../bench.cleanup.ts';
import { createKafka, ensureTopics, loadTopicDefinitions, topicName } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { migrateClickHouse } from '../../src/migrate/clickhouse.migrate.ts';
import { createDecoder, encode } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { registerSchemas, schemaType, subjectFor } from '../../src/schemas/schema-files.ts';
import { testEnv } from '../../test/support/test-env.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, batch: { type: 'string', default: '10000' } } });
const N = Number(args.rows);
const BATCH = Number(args.batch);
const run = randomUUID().slice(0, 8);
const prefix = `bench-sink-${run}.`;
const chdbPath = path.join(PROJECT_ROOT, '.inflow', 'bench', 'chdb-sink');
rmSync(chdbPath, { recursive: true, force: true });
const cfg = loadConfig({ ...process.env, ...testEnv(), LOG_LEVEL: 'warn', KAFKA_TOPIC_PREFIX: prefix, CHDB_PATH: chdbPath });
const ch = createClickHouse(cfg);
const rawDb = 'bench_raw';
const sinkDb = 'bench_sink';
await migrateClickHouse(ch, rawDb);
await migrateClickHouse(ch, sinkDb);

const t0 = Date.now() - 3_600_000;
const rows: OutcomeRecord[] = Array.from({ length: N }, (_, i) => ({
  outcome_id: randomUUID(), event_id: randomUUID(), tenant_id: `tenant-${i % 8}`, kind: 'event', type: ['lead.created', 'contact.updated', 'opportunity.won'][i % 3]!,
  source: ['api', 'webhook', 'form'][i % 3]!, status: ['applied', 'applied', 'applied', 'duplicate', 'rejected'][i % 5]!, reason: i % 5 === 4 ? 'invalid email' : null,
  entity_type: 'lead', entity_id: `lead-${i}`, entity_version: 1, bulk_action_id: null, topic: 'crm.events', partition: i % 6, offset: i,
  received_at: t0 + Math.floor(i / 50), processed_at: t0 + Math.floor(i / 50) + (i % 200), attempt: 1, trace_id: null, utm_source: i % 2 ? 'google' : null,
  email_hash: 'a'.repeat(64), phone_hash: null,
}));

// --- raw @clickhouse/client insert -------------------------------------------------------------------------------
const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const objects = rows.map((r) => ({ ...r, received_at: iso(r.received_at), processed_at: iso(r.processed_at) }));
let started = performance.now();
for (let i = 0; i < N; i += BATCH) {
  await ch.insert({ table: `${rawDb}.outcomes`, values: objects.slice(i, i + BATCH), format: 'JSONEachRow' });
}
const rawSeconds = (performance.now() - started) / 1000;
// The same rows as arrays (JSONCompactEachRow, the sink's own format): the fairest raw baseline.
const rawCompactDb = 'bench_raw_compact';
await migrateClickHouse(ch, rawCompactDb);
const arrays = rows.map((r) => JSON.parse(toRowLine(r, { topic: 'raw', partition: r.partition ?? 0, offset: r.offset ?? 0 })) as unknown[]);
started = performance.now();
for (let i = 0; i < N; i += BATCH) {
  await ch.insert({ table: `${rawCompactDb}.outcomes`, values: arrays.slice(i, i + BATCH), format: 'JSONCompactEachRow', columns: [...OUTCOME_COLUMNS] });
}
const rawCompactSeconds = (performance.now() - started) / 1000;

// --- the sink ----------------------------------------------------------------------------------------------------
const kafka = createKafka(cfg);
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, loadTopicDefinitions(), prefix);
const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
const ids = await registerSchemas(registry, prefix);
const topic = topicName(cfg, 'crm.outcomes');
const type = schemaType('outcome');
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
for (let i = 0; i < N; i += 5000) {
  await producer.send({ topic, acks: -1, messages: rows.slice(i, i + 5000).map((r) => ({ key: `${r.tenant_id}:${r.entity_id}`, value: encode(type, ids[subjectFor(topic)]!, r) })) });
}
await producer.disconnect();

const groupId = `${prefix}sink`;
const sink = createOutcomesSink(
  { kafka, decoder: createDecoder(registry, type), store: createOutcomesStore(ch, sinkDb), logger: createLogger(cfg) },
  { topic, groupId, maxRows: BATCH, maxWaitMs: 1000 },
);
const inserted = async () => (await sinkMetrics.rowsInserted.get()).values[0]?.value ?? 0;
started = performance.now();
await sink.start();
let firstRowAt = 0;
for (;;) {
  const n = await inserted();
  if (n > 0 && !firstRowAt) firstRowAt = performance.now();
  if (n >= N) break;
  await new Promise((r) => setTimeout(r, 20));
}
const sinkDone = performance.now();
await sink.stop();
await admin.disconnect();
const count = async (db: string) => (await (await ch.query({ query: `SELECT count() AS n FROM ${db}.outcomes`, format: 'JSONEachRow' })).json<{ n: number }>())[0]!.n;
const [rawRows, sinkRows] = [await count(rawDb), await count(sinkDb)];
const batches = (await sinkMetrics.inserts.get()).values[0]?.value ?? 0;
const sinkSeconds = (sinkDone - started) / 1000;
const report = {
  rows: N,
  batch: BATCH,
  raw: { format: 'JSONEachRow objects', seconds: +rawSeconds.toFixed(2), rowsPerSecond: Math.round(N / rawSeconds), rowsInTable: rawRows },
  rawCompact: { format: 'JSONCompactEachRow arrays', seconds: +rawCompactSeconds.toFixed(2), rowsPerSecond: Math.round(N / rawCompactSeconds), rowsInTable: await count(rawCompactDb) },
  sink: {
    seconds: +sinkSeconds.toFixed(2),
    rowsPerSecond: Math.round(N / sinkSeconds),
    inserts: batches,
    rowsInTable: sinkRows,
    note: 'seconds from sink.start() (group join included) to the last row inserted',
  },
  sinkVsRaw: +(rawSeconds / sinkSeconds).toFixed(2),
  sinkVsRawCompact: +(rawCompactSeconds / sinkSeconds).toFixed(2),
  engine: (await (await ch.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>())[0]!.v,
};
console.log(JSON.stringify(report, null, 2));
await ch.close();
await deleteBenchTopics(kafka, [prefix]);
process.exit(0);
