// Applied events/s from a pre-loaded backlog: the worker with exactly-once (Redis + processed_events) vs the worker
// at-least-once (no dedup, no processed_events) vs Postgres's own COPY of the same rows into the same tables, in one run.
// Two COPY baselines: `leads` rows only (one connection, as since session 1), and every row the exactly-once worker
// wrote (`leads`, `leads_raw`, `processed_events`, read back from the first exactly-once round) split over as many
// connections as the worker has consumers, one transaction each: the same rows, the same tables, the same resources.
//   flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/pipeline/apply.bench.ts [--events 20000] [--concurrency 2] [--batch 1000] [--warmup 20000] [--rounds 2] [--partitions-concurrently 3] [--pool inline|processes] [--profile DIR | --heap-profile DIR]
// One worker per mode for the whole run; a warm-up drain through it (JIT, connections, partitions) is not measured;
// then `rounds` pairs in alternating order (EO, ALO / ALO, EO ...), so neither mode always runs first; each mode's rate is its events over its seconds
// (a drain is timed from the start of its first chunk to the completion of its last event).
// Uses the test database (inflow_test) and Redis db 1 by default, private topics and tenants; prints a JSON report.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import { constants as perfConstants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { ensureTenant } from '../../src/accounts/api-keys.ts';
import { loadConfig } from '../../src/config.ts';
import { boxUse, cpuPerEvent, cpuSnapshot } from './cpu.ts';
import { leads } from './lead.events.ts';
import { deleteBenchDedupKeys, deleteBenchTenants, deleteBenchTopics } from '../bench.cleanup.ts';
import { createKafka, ensureTopics, loadTopicDefinitions, topicName } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { copyField, createPostgres } from '../../src/infra/postgres.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { toEffect } from '../../src/pipeline/effect.step.ts';
import { enrich } from '../../src/pipeline/enrich.step.ts';
import { TABLES } from '../../src/pipeline/entities.repository.ts';
import type { CrmEvent } from '../../src/pipeline/event.types.ts';
import { normalizeEvent } from '../../src/pipeline/normalize.step.ts';
import { createWorker, DEFAULT_BATCH_SIZE, DEFAULT_PARTITIONS_CONCURRENTLY, type WorkerStatus } from '../../src/pipeline/worker.ts';
import { createWorkerPool } from '../../src/pipeline/worker.pool.ts';
import { Registry } from 'prom-client';
import type { ApplyMode } from '../../src/pipeline/apply.step.ts';
import { encode } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { registerSchemas, schemaType, subjectFor } from '../../src/schemas/schema-files.ts';
import { testEnv } from '../../test/support/test-env.ts';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '2' }, batch: { type: 'string', default: String(DEFAULT_BATCH_SIZE) }, warmup: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '2' }, 'partitions-concurrently': { type: 'string', default: String(DEFAULT_PARTITIONS_CONCURRENTLY) }, profile: { type: 'string' }, 'heap-profile': { type: 'string' }, pool: { type: 'string', default: 'inline' } } });
if (args.pool !== 'inline' && args.pool !== 'processes') throw new Error(`--pool: inline or processes, got ${args.pool}`);
const POOL = args.pool;
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
const admin = kafka.admin(); // the process pool's view of its group
await admin.connect();


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
 * One worker per mode for the whole run, as `inflow start worker` is one long-lived process: the warm-up drain and every
 * measured round go through the same instance. (A worker per drain re-ran V8's optimizing compiler on ~150 of its own
 * and kafkajs's closures in every measured round: `--trace-opt` counted 151-155 functions optimized in each, and
 * `perf` put 13 µs an event of compiler threads on the core Postgres needs.) It joins its group on an empty topic and
 * pauses; each drain produces its backlog, resumes, waits for the last event and pauses again.
 */
async function openLane(prefix: string, mode: ApplyMode) {
  const topics = await topicsFor(prefix);
  const groupId = `${prefix}bench`;
  let worker: { start(): Promise<void>; stop(): Promise<void>; pause(): unknown; resume(): unknown; status(): WorkerStatus | Promise<WorkerStatus> };
  if (POOL === 'processes') {
    // `inflow start worker --concurrency N` as users run it (WORKER_POOL=processes): the children read this config
    Object.assign(process.env, testEnv(), {
      LOG_LEVEL: 'warn', KAFKA_TOPIC_PREFIX: prefix, WORKER_GROUP_ID: groupId, WORKER_MODE: mode, WORKER_BATCH_SIZE: String(BATCH),
      WORKER_PARTITIONS_PER_CONSUMER: String(PARTITIONS_CONCURRENTLY), WORKER_GEOIP: 'on', WORKER_FETCH_MIN_BYTES: '1', WORKER_FETCH_MAX_WAIT_MS: '5000', // as the inline lane (kafkajs's defaults)
    });
    worker = createWorkerPool({ logger, admin, registry: new Registry() }, { size: CONCURRENCY, groupId, topic: topics.events });
  } else {
    worker = createWorker(
      { kafka, sql, redis: mode === 'exactly-once' ? redis : null, registry, logger },
      { groupId, topic: topics.events, emit: topics, namespace: prefix, geoip: true, concurrency: CONCURRENCY, batchSize: BATCH, partitionsConcurrently: PARTITIONS_CONCURRENTLY, mode },
    );
  }
  await worker.start();
  while ((await worker.status()).consumersJoined < CONCURRENCY) await new Promise((r) => setTimeout(r, 50));
  await worker.pause();
  const total = (s: WorkerStatus) => Object.values(s.processed).reduce((a, b) => a + b, 0);
  return { mode, topics, worker, total };
}
type Lane = Awaited<ReturnType<typeof openLane>>;

/**
 * Drains one backlog through a paused lane. The clock runs from the start of the first chunk the worker processes
 * after resume to the completion of the last event, and counts every event. Not from resume: kafkajs may still sit in
 * a fetch wait it issued while paused (up to seconds), which is not applying. Not from the first chunk's completion
 * (sessions 4-11): by then the other chunks in flight (a consumer's partitions run at once) were nearly done too, and
 * their work, counted but not timed, put up to ~25 % on a 20 000-event drain's rate and ~12 % on a 40 000 one's.
 */
/** The worker's GC pauses while `fn` runs (this process: the worker runs inline), µs an event, by kind. */
async function withGcPauses<T>(events: number, fn: () => Promise<T>): Promise<{ result: T; gc: { scavenge_us: number; mark_compact_us: number; other_us: number; pauses: number } }> {
  const ms = { scavenge: 0, markCompact: 0, other: 0, pauses: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      const kind = e.detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) ms.scavenge += e.duration;
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) ms.markCompact += e.duration;
      else ms.other += e.duration;
      ms.pauses++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const result = await fn();
    await new Promise((r) => setImmediate(r)); // the last entries are delivered asynchronously
    const us = (v: number) => Math.round((v * 1000) / events);
    return { result, gc: { scavenge_us: us(ms.scavenge), mark_compact_us: us(ms.markCompact), other_us: us(ms.other), pauses: ms.pauses } };
  } finally {
    observer.disconnect();
  }
}

async function drain(lane: Lane, events: CrmEvent[]) {
  await produceBacklog(lane.topics, events);
  const statuses0 = (await lane.worker.status()).processed;
  const before = lane.total(await lane.worker.status());
  const target = before + events.length;
  const cpu0 = cpuSnapshot(process.pid);
  const elu0 = performance.eventLoopUtilization();
  // inline, status() is a copy built in the worker's own process: poll as before session 12; processes, it is an IPC
  // round trip to each child and a group description, so less often (the clock's two ends are the workers' own times)
  const poll = POOL === 'inline' ? 2 : 50;
  const { result: window, gc } = await withGcPauses(events.length, async () => {
    await lane.worker.resume();
    let firstDone: { at: number; done: number } | null = null;
    for (let s = await lane.worker.status(); lane.total(s) < target; s = await lane.worker.status()) {
      if (!firstDone && lane.total(s) > before) firstDone = { at: Date.now(), done: lane.total(s) - before };
      await new Promise((r) => setTimeout(r, poll));
    }
    const s = await lane.worker.status();
    return { startedAt: s.resumedChunkAt!, firstDone, endedAt: s.lastChunkDoneAt! };
  });
  const seconds = (window.endedAt - window.startedAt) / 1000;
  // the main thread's busy share over the drain: near 1, the worker's JavaScript is the bottleneck; below, it waits
  // (inline only: with processes, this process only watches)
  const inline = POOL === 'inline';
  const cpu = { ...cpuPerEvent(cpu0, cpuSnapshot(process.pid), events.length), gc: inline ? gc : null, event_loop_utilization: inline ? Number(performance.eventLoopUtilization(elu0).utilization.toFixed(3)) : null };
  await lane.worker.pause();
  const outcomes = Object.fromEntries(Object.entries((await lane.worker.status()).processed).map(([k, n]) => [k, n - (statuses0[k] ?? 0)]).filter(([, n]) => n !== 0));
  const timed = events.length;
  return { mode: lane.mode, events: events.length, timed_events: timed, seconds: Number(seconds.toFixed(2)), events_per_s: Math.round(timed / seconds),
    // the clock of sessions 4-11, for comparison: from the first completion, the events completed after it (inline only)
    events_per_s_from_first_completion: inline && window.firstDone ? Math.round((events.length - window.firstDone.done) / ((window.endedAt - window.firstDone.at) / 1000)) : null, outcomes, cpu };
}

/**
 * Every measured phase (a drain, a COPY) starts after a VACUUM of the tables the worker writes, so it is not charged
 * with vacuuming what earlier phases left: the previous run's cleanup deletes ~300 000 rows, and autovacuum otherwise
 * lands on whichever phase runs a minute later (first exactly-once rounds measured at 170-190 µs of box CPU an event
 * against 130-145 for the second).
 */
async function vacuumWrittenTables() {
  await sql.unsafe('vacuum (analyze) leads, leads_raw, processed_events, contacts, opportunities, dlq_events -- bench.vacuum');
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
  await vacuumWrittenTables();
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
 * The rows the exactly-once worker wrote for `source` (read back, tenant renamed to `tenant`), as COPY text lines
 * split over `connections` shares; `copyWorkerRows` loads them.
 */
async function readWorkerRows(source: string, tenant: string, connections: number) {
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
  return { tenant, tables, shares, columns, rows, connections };
}

/**
 * COPY of exactly the rows the exactly-once worker wrote, split over as many connections as it has consumers, each
 * loading its share of the three tables in one transaction, as a worker does. One COPY phase.
 */
async function copyWorkerRows(w: Awaited<ReturnType<typeof readWorkerRows>>) {
  await vacuumWrittenTables();
  const cpu0 = cpuSnapshot(process.pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: w.connections }, (_, k) =>
      sql.begin(async (tx) => {
        for (const table of w.tables) {
          const writable = await tx.unsafe(`copy ${table} (${w.columns[table]}) from stdin -- bench.copy_all`).writable();
          await streamPipeline(Readable.from(w.shares[table]![k]!), writable);
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  return { seconds, events: w.rows.leads!, cpu: cpuPerEvent(cpu0, cpuSnapshot(process.pid), w.rows.leads!) };
}

const inspector = args.profile || args['heap-profile'] ? new Session() : undefined;
if (inspector) {
  mkdirSync(args.profile ?? args['heap-profile']!, { recursive: true });
  inspector.connect();
  await inspector.post(args.profile ? 'Profiler.enable' : 'HeapProfiler.enable');
}
const tenants = { copy: `bench-copy-${run}`, eo: `bench-eo-${run}`, alo: `bench-alo-${run}` };
for (const t of Object.values(tenants)) await ensureTenant(sql, t);
const copy = await copyBaseline(tenants.copy, leads(tenants.copy, N));
const modes = { eo: 'exactly-once', alo: 'at-least-once' } as const;
const lanes = { eo: await openLane(`bench-eo-${run}.`, modes.eo), alo: await openLane(`bench-alo-${run}.`, modes.alo) };
const drainOf = async (m: keyof typeof modes, label: string, n: number) => {
  await ensureTenant(sql, `${tenants[m]}-${label}`);
  if (label !== 'warm') await vacuumWrittenTables();
  const events = leads(`${tenants[m]}-${label}`, n);
  if (!inspector || label === 'warm') return drain(lanes[m], events);
  // --profile / --heap-profile DIR: a CPU profile, or a sampled allocation profile (garbage included), of this
  // process over each measured drain: the worker runs inline here
  if (args.profile) await inspector.post('Profiler.start');
  else await inspector.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  const result = await drain(lanes[m], events);
  const { profile } = args.profile ? await inspector.post('Profiler.stop') : await inspector.post('HeapProfiler.stopSampling');
  const dir = args.profile ?? args['heap-profile']!;
  writeFileSync(`${dir}/${m}-${label}.${args.profile ? 'cpuprofile' : 'heapprofile'}`, JSON.stringify(profile));
  return result;
};
if (WARMUP > 0) for (const m of ['eo', 'alo'] as const) await drainOf(m, 'warm', WARMUP);
const runs: Awaited<ReturnType<typeof drain>>[] = [];
// COPY of every row, once per round like each worker mode (since session 13; before, once after all rounds): the
// rows the first exactly-once round wrote, loaded under a new tenant each round. A single ~1 s COPY moved by ±20 %
// run to run (20 400-28 200 events/s in four runs on one machine), more than the worker modes' two-round totals.
const copyAllRounds: Awaited<ReturnType<typeof copyWorkerRows>>[] = [];
let workerRows: Awaited<ReturnType<typeof readWorkerRows>> | undefined;
for (let r = 0; r < ROUNDS; r++) {
  for (const m of r % 2 === 0 ? (['eo', 'alo'] as const) : (['alo', 'eo'] as const)) runs.push(await drainOf(m, `r${r}`, N));
  await ensureTenant(sql, `${tenants.copy}-all-r${r}`);
  workerRows = await readWorkerRows(`${tenants.eo}-r0`, `${tenants.copy}-all-r${r}`, CONCURRENCY);
  copyAllRounds.push(await copyWorkerRows(workerRows));
}
await Promise.all(Object.values(lanes).map((l) => l.worker.stop()));
await admin.disconnect();
const overall = (mode: ApplyMode) => {
  const mine = runs.filter((x) => x.mode === mode);
  const seconds = mine.reduce((a, x) => a + x.seconds, 0);
  const timed = mine.reduce((a, x) => a + x.timed_events, 0);
  return {
    mode, events: mine.length * N, timed_events: timed, seconds: Number(seconds.toFixed(2)), events_per_s: Math.round(timed / seconds),
    runs: mine.map((x) => x.events_per_s), runs_from_first_completion: mine.map((x) => x.events_per_s_from_first_completion), outcomes: mine.map((x) => x.outcomes), cpu: mine.map((x) => x.cpu),
  };
};
const copyAllSeconds = copyAllRounds.reduce((a, x) => a + x.seconds, 0);
const copyAll = {
  mode: 'postgres COPY, every row the exactly-once worker wrote', connections: CONCURRENCY, rows: workerRows!.rows, rounds: copyAllRounds.length,
  seconds: Number(copyAllSeconds.toFixed(2)), events_per_s: Math.round(copyAllRounds.reduce((a, x) => a + x.events, 0) / copyAllSeconds),
  runs: copyAllRounds.map((x) => Math.round(x.events / x.seconds)), cpu: copyAllRounds.map((x) => x.cpu),
};
const exactlyOnce = overall('exactly-once');
const atLeastOnce = overall('at-least-once');
// the box's side of the goal: cores each phase kept busy, and what every core would give at its CPU per event
const cores = availableParallelism();
const box = {
  cores,
  copy_all: boxUse(copyAll.events_per_s, copyAll.cpu, cores),
  exactly_once: boxUse(exactlyOnce.events_per_s, exactlyOnce.cpu, cores),
  at_least_once: boxUse(atLeastOnce.events_per_s, atLeastOnce.cpu, cores),
};
const report = {
  at: new Date().toISOString(), pool: POOL, events: N, concurrency: CONCURRENCY, partitions_concurrently: PARTITIONS_CONCURRENTLY, batch: BATCH, warmup: WARMUP, rounds: ROUNDS, copy, copyAll, exactlyOnce, atLeastOnce,
  exactly_once_vs_copy_leads: Number((exactlyOnce.events_per_s / copy.rows_per_s).toFixed(3)),
  exactly_once_vs_copy_all: Number((exactlyOnce.events_per_s / copyAll.events_per_s).toFixed(3)),
  exactly_once_cost_vs_at_least_once: Number((1 - exactlyOnce.events_per_s / atLeastOnce.events_per_s).toFixed(3)),
  box,
  /** exactly-once with every core busy at its measured CPU per event, against this run's COPY of every row */
  exactly_once_ceiling_vs_copy_all: Number((box.exactly_once.ceiling_events_per_s / copyAll.events_per_s).toFixed(3)),
};
console.log(JSON.stringify(report, null, 2));
// the private topics of every drain (backlogs, outcomes, changes), the tenants' rows and the dedup hashes are not kept
await deleteBenchTopics(kafka, [`bench-eo-${run}.`, `bench-alo-${run}.`]);
await deleteBenchDedupKeys(redis, [`bench-eo-${run}.`]);
for (const t of Object.values(tenants)) await deleteBenchTenants(sql, t);
await sql.end({ timeout: 5 });
redis.disconnect();
process.exit(0);
