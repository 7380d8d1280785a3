// The worker: N kafkajs consumers in one group, each running eachBatch with manual commits.
// Per chunk: stage (decode, Redis lookup) -> apply (Postgres commit) -> Redis marks -> emit (outcomes, changes, DLQ;
// acks=all) -> commit the offset.
// A dependency failure holds the partition and retries with backoff, heartbeating, until it succeeds or the partition
// is revoked; nothing is skipped and no offset is committed past an unprocessed message.
import { context, propagation, trace } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import type { Redis } from '../infra/redis.ts';
import { createDecoder } from '../schemas/avro.codec.ts';
import type { SchemaRegistry } from '../schemas/registry.client.ts';
import { schemaType } from '../schemas/schema-files.ts';
import type { ApplyMode } from './apply.step.ts';
import { createBatchPipeline, type AppliedChunk, type FaultPoint } from './batch.pipeline.ts';
import { createRedisDedup } from './dedup.step.ts';
import { createEmitter, type EmitTopics } from './emit.step.ts';
import { geoipLite } from './enrich.step.ts';
import type { InMessage } from './prepare.step.ts';
import { maintainPartitions } from './processed.repository.ts';
import { createRecordEncoder } from './record.encoder.ts';
import { batchDuration, batchRetries, consumerLag, dlqEvents, eventsProcessed } from './worker.metrics.ts';

/**
 * Messages per Postgres transaction unless told (WORKER_BATCH_SIZE). Session 11 raised it to 1 000 on a bench whose
 * clock started at the first chunk's completion, which flattered large chunks (more work in flight, counted but not
 * timed). Timed from the first chunk's start (session 12, bench/pipeline/README.md), 500 applied as many or slightly
 * more events/s exactly-once from a 20 000-event backlog (13 333 and 13 333 against 12 780 and 13 201; 2 000: ~12 300)
 * for ~8 µs less worker CPU an event (a smaller live set to scavenge), and a bisect takes one transaction fewer.
 */
export const DEFAULT_BATCH_SIZE = 500;

/** Partitions a consumer processes at once unless told (WORKER_PARTITIONS_PER_CONSUMER). */
export const DEFAULT_PARTITIONS_CONCURRENTLY = 3;

export interface WorkerOptions {
  groupId: string;
  topic: string;
  emit: EmitTopics;
  /** consumers in this process's pool, each a member of the group */
  concurrency?: number;
  /** messages per Postgres transaction; larger batches amortise round trips, smaller ones bound a bisect */
  batchSize?: number;
  /**
   * Partitions one consumer processes at once (kafkajs's partitionsConsumedConcurrently), each with its own Postgres
   * transaction; a partition's batches stay in order. One at a time, the consumer sits idle while a batch waits on
   * Postgres, the outcome produce and the offset commit, and between fetches: 3 applied ~20 % more events/s than 1
   * from a backlog (bench/pipeline/README.md). Postgres connections needed: consumers x this + 2.
   */
  partitionsConcurrently?: number;
  /**
   * The broker answers a fetch once this many bytes are there or after fetchMaxWaitMs. With kafkajs's default (1 byte)
   * a steady trickle of events arrives a few at a time, one Postgres transaction each; waiting up to ~100 ms lets a
   * busy stream fill real batches, at the cost of at most that much latency when it is quiet.
   */
  fetchMinBytes?: number;
  fetchMaxWaitMs?: number;
  mode?: ApplyMode;
  dedupWindowDays?: number;
  /** partitions of processed_events created ahead of today */
  aheadDays?: number;
  /** Redis key namespace (the topic prefix), so test runs never share dedup marks */
  namespace?: string;
  geoip?: boolean;
  faultPoint?: FaultPoint;
}

export interface PartitionStatus {
  topic: string;
  partition: number;
  committed: string | null;
  highWatermark: string | null;
  lag: number | null;
  consumer: number;
}

export interface WorkerStatus {
  running: boolean;
  paused: boolean;
  consumers: number;
  partitions: PartitionStatus[];
  processed: Record<string, number>;
  lastError: { at: string; message: string; dependency?: string } | null;
  retrying: boolean;
  startedAt: string | null;
  /** when the first batch began processing (epoch ms): throughput is measured from here, after the group join */
  firstBatchAt: number | null;
  /** when the latest chunk began processing (epoch ms): a drain after resume() is timed from its first chunk's start */
  lastChunkStartedAt: number | null;
  /** the start of the first chunk after the latest resume() (epoch ms; null until one starts): a drain's clock starts here */
  resumedChunkAt: number | null;
  /** when the latest chunk was committed (epoch ms): a drain's clock stops here */
  lastChunkDoneAt: number | null;
  /** consumers of this process that have joined the group at least once: all of them = the pool's group is formed */
  consumersJoined: number;
}

export interface Worker {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** stop consuming across the pool (offsets stay where they are) */
  pause(): void;
  resume(): void;
  status(): WorkerStatus;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function headersOf(m: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    const one = Array.isArray(v) ? v[0] : v;
    if (one !== undefined) out[k] = one.toString();
  }
  return out;
}

export function createWorker(
  deps: { kafka: Kafka; sql: Sql; redis: Redis | null; registry: SchemaRegistry; logger: Logger },
  options: WorkerOptions,
): Worker {
  const logger = deps.logger.child({ module: 'worker', group: options.groupId });
  const concurrency = options.concurrency ?? 1;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const partitionsConcurrently = options.partitionsConcurrently ?? DEFAULT_PARTITIONS_CONCURRENTLY;
  const mode = options.mode ?? 'exactly-once';
  const windowDays = options.dedupWindowDays ?? 7;
  const fault = (point: FaultPoint) => {
    if (options.faultPoint === point) {
      logger.warn({ point }, 'INFLOW_FAULT_POINT reached: killing this process (test-only)');
      process.kill(process.pid, 'SIGKILL');
    }
  };
  const encoder = createRecordEncoder({ registry: deps.registry }, options.emit);
  const pipeline = createBatchPipeline(
    {
      decoder: createDecoder(deps.registry, schemaType('crm-event')),
      sql: deps.sql,
      encoder,
      dedup: deps.redis ? createRedisDedup({ redis: deps.redis, logger }, { namespace: options.namespace ?? '', windowDays }) : null,
      geo: options.geoip === false ? null : geoipLite(),
      logger,
      fault,
    },
    { mode },
  );
  const tracer = trace.getTracer('inflow.worker');

  let producer: Producer | undefined;
  let emitter: ReturnType<typeof createEmitter> | undefined;
  const consumers: Consumer[] = [];
  const partitions = new Map<string, PartitionStatus>();
  const processed: Record<string, number> = {};
  let paused = false;
  let running = false;
  let stopping = false;
  let retrying = false;
  let startedAt: string | null = null;
  let firstBatchAt: number | null = null;
  let lastChunkStartedAt: number | null = null;
  let resumedChunkAt: number | null = null;
  let lastChunkDoneAt: number | null = null;
  const joined = new Set<number>();
  /** per consumer: group generations seen (bumped when a rebalance starts and when a join completes) */
  const generations: number[] = [];
  /** per consumer, per partition: the last chunk's finish, still running after its batch returned */
  const tails: Map<string, { generation: number; done: Promise<boolean> }>[] = [];
  const batches = new Set<Promise<void>>();
  let lastError: WorkerStatus['lastError'] = null;
  let maintenance: NodeJS.Timeout | undefined;

  /** Retries fn until it succeeds; false when the partition was revoked or the worker stopped meanwhile. */
  async function untilDone(fn: () => Promise<void>, p: Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale'>, what: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await fn();
        retrying = false;
        return true;
      } catch (err) {
        const dependency = (err as { dependency?: string }).dependency ?? 'unknown';
        lastError = { at: new Date().toISOString(), message: (err as Error).message, dependency };
        retrying = true;
        batchRetries.inc({ dependency });
        logger.error({ err, attempt, what }, 'batch step failed; holding the partition and retrying');
        const backoff = Math.min(5_000, 200 * 2 ** attempt); // 0.2 s doubling to 5 s: a restart takes seconds; stays well inside the session timeout
        await sleep(backoff * (0.8 + Math.random() * 0.4));
        if (!p.isRunning() || p.isStale()) return false;
        await p.heartbeat().catch(() => {}); // the broker may be the thing that is down
      }
    }
  }

  async function eachBatch(consumer: Consumer, index: number, payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    // Per partition, two things overlap: this chunk's staging and Postgres transaction, and the previous chunk's Redis
    // marks + produce + offset commit (a consumer runs partitionsConcurrently partitions at once besides). Order still
    // holds: a chunk's outcomes are produced, and its offset committed, only after the previous chunk's. If a chunk's
    // produce or commit never completes (revoked), the chunks processed after it are redeliveries for the new owner,
    // which re-emits what processed_events recorded for them. (Until session 13 the next chunk was also staged ahead:
    // more chunks alive at each scavenge, and 4 % fewer events/s; bench/pipeline/README.md, session 14.)
    const messagesAt = (start: number): InMessage[] =>
      batch.messages.slice(start, start + batchSize).map((m) => ({
        topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value, headers: headersOf(m),
      }));
    // The previous batch's last chunk may still be finishing (see the end of this function): this batch's first
    // chunk is applied meanwhile, and its own finish waits for that one, as chunks within a batch do. A finish left
    // by an earlier group generation is only waited for; what it did not commit is redelivered.
    const key = `${batch.topic}:${batch.partition}`;
    const generation = generations[index]!;
    const tail = tails[index]!.get(key);
    let previous: Promise<boolean> = !tail ? Promise.resolve(true) : tail.generation === generation ? tail.done : tail.done.then(() => true);
    for (let start = 0; start < batch.messages.length; start += batchSize) {
      while (paused && isRunning() && !isStale() && !stopping) {
        await sleep(200);
        await heartbeat().catch(() => {});
      }
      if (!isRunning() || isStale() || stopping) break;
      lastChunkStartedAt = Date.now();
      firstBatchAt ??= lastChunkStartedAt;
      resumedChunkAt ??= lastChunkStartedAt;
      const timer = batchDuration.startTimer();
      const messages = messagesAt(start);
      const last = messages[messages.length - 1]!.offset;
      // the trace started at the edge continues here: one span per batch, linked to every message's trace
      const links = messages.flatMap((m) => {
        const ctx = propagation.extract(context.active(), m.headers);
        const sc = trace.getSpanContext(ctx);
        return sc ? [{ context: sc }] : [];
      });
      const span = tracer.startSpan('worker.batch', { links, attributes: { 'messaging.kafka.partition': batch.partition, 'messaging.batch.message_count': messages.length } });
      let applied: AppliedChunk | undefined;
      const done = await untilDone(async () => {
        applied = await pipeline.apply(await pipeline.stage(messages));
      }, payload, 'process');
      if (!done || isStale() || !(await previous)) {
        span.end();
        break; // revoked meanwhile: the new owner redelivers; never commit a revoked partition
      }
      previous = finish(consumer, index, generation, payload, last, applied!).finally(() => {
        span.end();
        timer();
      });
      // the next fetch of this partition starts after this chunk; its commit is made by its finish
      if (start + batchSize >= batch.messages.length) payload.resolveOffset(last);
    }
    // Return without waiting for the last chunk's Redis marks, produce and offset commit: kafkajs fetches again only
    // once every batch of a fetch has returned, so waiting here held all the consumer's partitions on one produce
    // round trip (bench/pipeline/README.md, session 14). The finish is carried to this partition's next batch.
    const done = previous.catch(() => false);
    tails[index]!.set(key, { generation, done });
    void done.finally(() => {
      if (tails[index]!.get(key)?.done === done) tails[index]!.delete(key);
    });
  }

  /** Marks the chunk in Redis, produces its outcomes, then commits its offset; false when the partition was revoked meanwhile. */
  async function finish(consumer: Consumer, index: number, generation: number, payload: EachBatchPayload, last: string, { results, marks }: AppliedChunk): Promise<boolean> {
    const { batch, heartbeat, isStale } = payload;
    await pipeline.mark(marks); // best effort, never throws
    const produced = await untilDone(async () => {
      await emitter!.emit(results);
      fault('after_produce');
    }, payload, 'produce');
    if (!produced || isStale()) return false;
    const next = (BigInt(last) + 1n).toString();
    // Never commit for a generation this consumer has left: the partition may be another member's now, and a late
    // commit could move its offset back. Checked before every attempt (a retry may outlive a rebalance).
    let revoked = false;
    const committed = await untilDone(async () => {
      if (generations[index] !== generation || isStale()) return void (revoked = true);
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    }, payload, 'commit');
    if (!committed || revoked) return false;
    lastChunkDoneAt = Date.now();
    await heartbeat().catch(() => {});
    for (const r of results) {
      eventsProcessed.inc({ outcome: r.outcome.status });
      processed[r.outcome.status] = (processed[r.outcome.status] ?? 0) + 1;
      if (r.dlq) dlqEvents.inc({ reason: r.dlq.reason });
    }
    const hw = BigInt(batch.highWatermark);
    const lag = Number(hw > BigInt(next) ? hw - BigInt(next) : 0n);
    consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, lag);
    partitions.set(`${batch.topic}:${batch.partition}`, { topic: batch.topic, partition: batch.partition, committed: next, highWatermark: batch.highWatermark, lag, consumer: index });
    return true;
  }

  async function maintain(): Promise<void> {
    try {
      const done = await maintainPartitions(deps.sql, { windowDays, aheadDays: options.aheadDays ?? 3 });
      if (done.length) logger.info({ done }, 'processed_events partitions maintained');
    } catch (err) {
      logger.warn({ err }, 'processed_events maintenance failed; retried next hour');
    }
  }

  return {
    async start() {
      stopping = false;
      if (mode === 'exactly-once') await maintain();
      maintenance = setInterval(() => void maintain(), 3_600_000); // hourly: partitions exist days ahead, so a missed run costs nothing
      maintenance.unref();
      producer = deps.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      emitter = createEmitter({ producer, encoder }, { topics: options.emit });
      for (let i = 0; i < concurrency; i++) {
        const consumer = deps.kafka.consumer({
          groupId: options.groupId,
          sessionTimeout: 15_000, // a killed member's partitions move after 15 s; a waiting batch heartbeats every attempt (<= 5 s apart)
          heartbeatInterval: 3_000,
          maxBytesPerPartition: Math.max(1_048_576, batchSize * 2_048), // a CrmEvent is ~0.5-1.5 KB: a fetch holds at least one full batch
          minBytes: options.fetchMinBytes ?? 1,
          maxWaitTimeInMs: options.fetchMaxWaitMs ?? 5_000, // kafkajs's default
          retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 }, // a broker restart must not end the consumer
        });
        consumer.on(consumer.events.CRASH, (e) => {
          lastError = { at: new Date().toISOString(), message: String((e.payload.error as Error | undefined)?.message), dependency: 'kafka' };
          logger.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
        });
        generations[i] = 0;
        tails[i] = new Map();
        consumer.on(consumer.events.REBALANCING, () => void (generations[i]! += 1));
        consumer.on(consumer.events.GROUP_JOIN, (e) => {
          generations[i]! += 1;
          joined.add(i);
          logger.info({ consumer: i, assignment: e.payload.memberAssignment }, 'joined group');
        });
        await consumer.connect();
        await consumer.subscribe({ topic: options.topic, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: partitionsConcurrently,
          eachBatch: (payload) => {
            const running = eachBatch(consumer, i, payload);
            batches.add(running);
            return running.finally(() => batches.delete(running));
          },
        });
        consumers.push(consumer);
      }
      running = true;
      startedAt = new Date().toISOString();
      logger.info({ topic: options.topic, concurrency, mode }, 'worker pool started');
    },
    async stop() {
      clearInterval(maintenance);
      running = false;
      stopping = true;
      // the chunks already applied are produced and committed before the group is left (bounded: a dependency that
      // is down keeps them retrying; what they do not commit is redelivered, never lost)
      let bound: NodeJS.Timeout | undefined;
      const drained = (async () => {
        await Promise.allSettled(batches); // they stop at their next chunk
        await Promise.allSettled(tails.flatMap((t) => [...t.values()].map((x) => x.done)));
      })();
      await Promise.race([drained, new Promise((r) => (bound = setTimeout(r, 10_000)))]);
      clearTimeout(bound);
      await Promise.all(consumers.splice(0).map((c) => c.disconnect().catch((err: unknown) => logger.warn({ err }, 'consumer disconnect failed'))));
      await producer?.disconnect().catch(() => {});
    },
    pause() {
      paused = true;
      for (const c of consumers) c.pause([{ topic: options.topic }]);
    },
    resume() {
      paused = false;
      resumedChunkAt = null;
      for (const c of consumers) c.resume([{ topic: options.topic }]);
    },
    status() {
      return {
        running, paused, consumers: consumers.length, retrying, startedAt, firstBatchAt, lastChunkStartedAt, resumedChunkAt, lastChunkDoneAt, consumersJoined: joined.size, lastError, processed: { ...processed },
        partitions: [...partitions.values()].sort((a, b) => a.partition - b.partition),
      };
    },
  };
}
