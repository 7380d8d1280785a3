// Applied events/s from a pre-loaded backlog: the worker with exactly-once (Redis + processed_events) vs the worker
// at-least-once (no dedup, no processed_events) vs Postgres's own COPY of the same rows into the same tables, in one run.
// Two COPY baselines: `leads` rows only (one connection, as since session 1), and every row the exactly-once worker
// wrote (`leads`, `leads_raw`, `processed_events`, read back from the first exactly-once round) split over as many
// connections as the worker has consumers, one transaction each: the same rows, the same tables, the same resources.
//   flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/pipeline/apply.bench.ts [--events 20000] [--concurrency 2] [--batch 500] [--warmup 4000] [--rounds 2] [--partitions-concurrently 3]
// A warm-up drain per mode (JIT, connections, partitions) is not measured; then `rounds` pairs in alternating order
// (EO, ALO / ALO, EO ...), so neither mode always runs first; each mode's rate is its events over its seconds.
// Uses the test database (inflow_test) and Redis db 1 by default, private topics and tenants; prints a JSON report.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { ensureTenant } from '../../src/accounts/api-keys.ts';
import { loadConfig } from '../../src/config.ts';
import { cpuPerEvent, cpuSnapshot } from './cpu.ts';
import { leads } from './lead.events.ts';
import { deleteBenchTenants, deleteBenchTopics } from '../bench.cleanup.ts';
import { createKafka, ensureTopics, loadTopicDefinitions, topicName } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { copyField, createPostgres } from '../../src/infra/postgres.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { toEffect } from '../../src/pipeline/effect.step.ts';
import { enrich } from '../../src/pipeline/enrich.step.ts';
import { TABLES } from '../../src/pipeline/entities.repository.ts';
import type { CrmEvent } from '../../src/pipeline/event.types.ts';
import { normalizeEvent } from '../../src/pipeline/normalize.step.ts';
import { createWorker, DEFAULT_PARTITIONS_CONCURRENTLY } from '../../src/pipeline/worker.ts';
import type { ApplyMode } from '../../src/pipeline/apply.step.ts';
import { encode } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { registerSchemas, schemaType, subjectFor } from '../../src/schemas/schema-files.ts';
import { testEnv } from '../../test/support/test-env.ts';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '2' }, batch: { type: 'string', default: '500' }, warmup: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '2' }, 'partitions-concurrently': { type: 'string', default: String(DEFAULT_PARTITIONS_CONCURRENTLY) } } });
const WARMUP = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const N = Number(args.events);
const CONCURRENCY = Number(args.concurrency);
const BATCH = Number(args.batch);
const PARTITIONS_CONCURRENTLY = Number(args['partitions-concurrently']);
const cfg = loadConfig({ ...process.env, ...testEnv(), LOG_LEVEL: 'warn' });
const logger = createLogger(cfg);
const sql = createPostgres(cfg, { max: CONCURRENCY * PARTITIONS_CONCURRENTLY + 4 });
const redis = createRedis(cfg);
const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
const kafka = createKafka(cfg);
const run = randomUUID().slice(0, 8);


async function topicsFor(prefix: string) {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, loadTopicDefinitions(), prefix);
  await admin.disconnect();
  const ids = await registerSchemas(registry, prefix);
  const t = (base: string) => topicName({ KAFKA_TOPIC_PREFIX: prefix }, base);
  return { events: t('crm.events'), outcomes: t('crm.outcomes'), changes: t('crm.changes'), dlq: t('crm.events.dlq'), schemaId: ids[subjectFor(t('crm.events'))]! };
}

async function produceBacklog(topics: Awaited<ReturnType<typeof topicsFor>>, events: CrmEvent[]) {
  const producer = kafka.producer();
  await producer.connect();
  const type = schemaType('crm-event');
  for (let i = 0; i < events.length; i += 2000) {
    await producer.send({ topic: topics.events, acks: -1, messages: events.slice(i, i + 2000).map((e) => ({ key: `${e.tenant_id}:${e.entity_id}`, value: encode(type, topics.schemaId, e) })) });
  }
  await producer.disconnect();
}

/**
 * The worker joins its group on an empty topic and pauses; the backlog is produced; the clock starts at resume. So the
 * time measured is applying, not a consumer group forming (one consumer working alone, then a rebalance). It runs
 * from the first batch to the last commit.
 */
async function drain(prefix: string, events: CrmEvent[], mode: ApplyMode) {
  const topics = await topicsFor(prefix);
  const worker = createWorker(
    { kafka, sql, redis: mode === 'exactly-once' ? redis : null, registry, logger },
    { groupId: `${prefix}bench`, topic: topics.events, emit: topics, namespace: prefix, geoip: true, concurrency: CONCURRENCY, batchSize: BATCH, partitionsConcurrently: PARTITIONS_CONCURRENTLY, mode },
  );
  const total = () => Object.values(worker.status().processed).reduce((a, b) => a + b, 0);
  await worker.start();
  while (worker.status().consumersJoined < CONCURRENCY) await new Promise((r) => setTimeout(r, 50));
  worker.pause();
  await produceBacklog(topics, events);
  const cpu0 = cpuSnapshot(process.pid);
  worker.resume();
  while (total() < events.length) await new Promise((r) => setTimeout(r, 5));
  const cpu = cpuPerEvent(cpu0, cpuSnapshot(process.pid), events.length);
  // from the first batch after resume (kafkajs may still sit in a fetch wait issued while paused) to the last commit
  const seconds = (Date.now() - worker.status().firstBatchAt!) / 1000;
  const statuses = worker.status().processed;
  await worker.stop();
  return { mode, events: events.length, seconds: Number(seconds.toFixed(2)), events_per_s: Math.round(events.length / seconds), outcomes: statuses, cpu };
}

/** COPY of the same leads rows (normalized and enriched, not timed) into the same table. */
async function copyBaseline(tenant: string, events: CrmEvent[]) {
  const cols = TABLES.lead.columns;
  const { geoipLite } = await import('../../src/pipeline/enrich.step.ts');
  const lines = events.map((e) => {
    const n = normalizeEvent(e);
    const row = toEffect(n, enrich({ ip: n.lead!.ip, user_agent: n.lead!.user_agent }, geoipLite())).row;
    return cols.map(([c, t]) => (t === 'tags' ? '{}' : copyField(row[c] ?? (c === 'status' ? 'new' : c === 'metadata' ? {} : null)))).join('\t') + '\n';
  });
  const cpu0 = cpuSnapshot(process.pid);
  const started = performance.now();
  const writable = await sql`copy leads (${sql.unsafe(cols.map(([c]) => c).join(', '))}) from stdin -- bench.copy`.writable();
  await streamPipeline(Readable.from(lines), writable);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPerEvent(cpu0, cpuSnapshot(process.pid), events.length);
  const [{ n }] = await sql<{ n: string }[]>`select count(*)::text as n from leads where tenant_id = ${tenant}` as unknown as [{ n: string }];
  return { mode: 'postgres COPY', rows: Number(n), seconds: Number(seconds.toFixed(2)), rows_per_s: Math.round(events.length / seconds), cpu };
}

/**
 * COPY of exactly the rows the exactly-once worker wrote for `source` (read back, tenant renamed), split
 * over `connections` connections, each loading its share of the three tables in one transaction, as a worker does.
 */
async function copyWorkerRows(source: string, tenant: string, connections: number) {
  const tables = ['leads', 'leads_raw', 'processed_events'] as const;
  const shares: Record<string, string[][]> = {};
  const columns: Record<string, string> = {};
  for (const table of tables) {
    const cols = (await sql<{ c: string }[]>`select column_name as c from information_schema.columns where table_schema = 'public' and table_name = ${table} order by ordinal_position`).map((r) => r.c);
    columns[table] = cols.map((c) => `"${c}"`).join(', ');
    const list = cols.map((c) => (c === 'tenant_id' ? `'${tenant}'::text` : `"${c}"`)).join(', ');
    // raw text values, escaped for COPY's text format (a COPY TO stream stalls behind postgres.js's pool here)
    const raw = await sql.unsafe(`select ${list} from ${table} where tenant_id = '${source}' -- bench.copy_read`).raw();
    const lines = (raw as unknown as (Buffer | null)[][]).map((r) => r.map(copyField).join('\t'));
    shares[table] = Array.from({ length: connections }, (_, k) => lines.filter((_, i) => i % connections === k).map((l) => l + '\n'));
  }
  const rows = Object.fromEntries(tables.map((t) => [t, shares[t]!.reduce((a, s) => a + s.length, 0)]));
  const cpu0 = cpuSnapshot(process.pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, (_, k) =>
      sql.begin(async (tx) => {
        for (const table of tables) {
          const writable = await tx.unsafe(`copy ${table} (${columns[table]}) from stdin -- bench.copy_all`).writable();
          await streamPipeline(Readable.from(shares[table]![k]!), writable);
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPerEvent(cpu0, cpuSnapshot(process.pid), rows.leads!);
  return { mode: 'postgres COPY, every row the exactly-once worker wrote', connections, rows, seconds: Number(seconds.toFixed(2)), events_per_s: Math.round(rows.leads! / seconds), cpu };
}

const tenants = { copy: `bench-copy-${run}`, eo: `bench-eo-${run}`, alo: `bench-alo-${run}` };
for (const t of Object.values(tenants)) await ensureTenant(sql, t);
const copy = await copyBaseline(tenants.copy, leads(tenants.copy, N));
const modes = { eo: 'exactly-once', alo: 'at-least-once' } as const;
const drainOf = (m: keyof typeof modes, label: string, n: number) => drain(`bench-${m}-${run}-${label}.`, leads(`${tenants[m]}-${label}`, n), modes[m]);
for (const t of ['eo', 'alo'] as const) await ensureTenant(sql, `${tenants[t]}-warm`);
if (WARMUP > 0) for (const m of ['eo', 'alo'] as const) await drainOf(m, 'warm', WARMUP);
const runs: Awaited<ReturnType<typeof drain>>[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const m of r % 2 === 0 ? (['eo', 'alo'] as const) : (['alo', 'eo'] as const)) {
    await ensureTenant(sql, `${tenants[m]}-r${r}`);
    runs.push(await drainOf(m, `r${r}`, N));
  }
}
const overall = (mode: ApplyMode) => {
  const mine = runs.filter((x) => x.mode === mode);
  const seconds = mine.reduce((a, x) => a + x.seconds, 0);
  return { mode, events: mine.length * N, seconds: Number(seconds.toFixed(2)), events_per_s: Math.round((mine.length * N) / seconds), runs: mine.map((x) => x.events_per_s), cpu: mine.map((x) => x.cpu) };
};
await ensureTenant(sql, `${tenants.copy}-all`);
const copyAll = await copyWorkerRows(`${tenants.eo}-r0`, `${tenants.copy}-all`, CONCURRENCY);
const exactlyOnce = overall('exactly-once');
const atLeastOnce = overall('at-least-once');
const report = {
  at: new Date().toISOString(), events: N, concurrency: CONCURRENCY, partitions_concurrently: PARTITIONS_CONCURRENTLY, batch: BATCH, warmup: WARMUP, rounds: ROUNDS, copy, copyAll, exactlyOnce, atLeastOnce,
  exactly_once_vs_copy_leads: Number((exactlyOnce.events_per_s / copy.rows_per_s).toFixed(3)),
  exactly_once_vs_copy_all: Number((exactlyOnce.events_per_s / copyAll.events_per_s).toFixed(3)),
  exactly_once_cost_vs_at_least_once: Number((1 - exactlyOnce.events_per_s / atLeastOnce.events_per_s).toFixed(3)),
};
console.log(JSON.stringify(report, null, 2));
// the private topics of every drain (backlogs, outcomes, changes) and the tenants' rows are not kept
await deleteBenchTopics(kafka, [`bench-eo-${run}-`, `bench-alo-${run}-`]);
for (const t of Object.values(tenants)) await deleteBenchTenants(sql, t);
await sql.end({ timeout: 5 });
redis.disconnect();
process.exit(0);
