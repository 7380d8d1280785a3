// Bulk executors: a consumer group on crm.bulk.chunks. Per chunk: wait for the account's rate budget, apply it in
// one transaction (chunk.apply.ts), produce one outcome per contact and one change per changed contact, THEN commit
// the offset. A redelivered chunk is found in the ledger and only its outcomes and changes are re-emitted.
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { Counter, Histogram } from 'prom-client';
import type { Config } from '../config.ts';
import { topicName } from '../infra/kafka.ts';
import type { Logger } from '../infra/logger.ts';
import { metricsRegistry } from '../infra/metrics.ts';
import type { Sql } from '../infra/postgres.ts';
import { createDecoder, encode } from '../schemas/avro.codec.ts';
import type { SchemaRegistry } from '../schemas/registry.client.ts';
import { readSchema, schemaType, subjectFor } from '../schemas/schema-files.ts';
import { applyChunk, recordCancelled, type ChunkInput, type ChunkOutcome } from './chunk.apply.ts';
import { changeRecords, outcomeRecords } from './outcome.messages.ts';
import type { IngestYield } from './ingest.yield.ts';
import type { RateLimiter } from './rate-limit.ts';

const chunksTotal = new Counter({ name: 'inflow_bulk_chunks_total', help: 'bulk chunks handled, by result', labelNames: ['result'], registers: [metricsRegistry] });
const contactsTotal = new Counter({ name: 'inflow_bulk_contacts_total', help: 'bulk contacts handled, by status', labelNames: ['status'], registers: [metricsRegistry] });
const chunkSeconds = new Histogram({
  name: 'inflow_bulk_chunk_tx_seconds',
  help: 'duration of one chunk transaction',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

export interface BulkExecutorDeps {
  cfg: Pick<Config, 'KAFKA_TOPIC_PREFIX' | 'BULK_RATE_LIMIT_PER_SEC' | 'BULK_EXECUTOR_CONCURRENCY' | 'BULK_TEST_FAULT'>;
  sql: Sql;
  kafka: Kafka;
  registry: SchemaRegistry;
  limiter: RateLimiter;
  /** Background priority: chunks wait while ingest lags (bulk.role wires it; absent in tests = never waits). */
  ingestYield?: IngestYield;
  logger: Logger;
  /** A chunk running longer than this is logged, and again each period (default 10 s). */
  stuckWarnMs?: number;
  /** Called after each chunk is handled (tests count chunks per executor). */
  onChunk?: (chunk: { bulk_action_id: string; chunk_no: number; kind: ChunkOutcome['kind'] }) => void;
}

interface ActionInfo {
  status: string;
  action: string;
  created_at: Date;
  rate_limit_per_sec: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STUCK_WARN_MS = 10_000; // a chunk takes < 1 s in its transaction and <= 2 s yielding: 10 s means something waits

export function createBulkExecutor({ cfg, sql, kafka, registry, limiter, ingestYield, logger, onChunk, stuckWarnMs = STUCK_WARN_MS }: BulkExecutorDeps) {
  const log = logger.child({ module: 'bulk.executor' });
  const chunksTopic = topicName(cfg, 'crm.bulk.chunks');
  const outcomesTopic = topicName(cfg, 'crm.outcomes');
  const changesTopic = topicName(cfg, 'crm.changes');
  const decoder = createDecoder(registry, schemaType('bulk-chunk'));
  const outcomeType = schemaType('outcome');
  const changeType = schemaType('change');
  const [faultKind, faultAt] = (cfg.BULK_TEST_FAULT ?? ':').split(':');
  let appliedHere = 0;
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let running = false;

  async function actionInfo(id: string, tenantId: string): Promise<ActionInfo | undefined> {
    const [row] = await sql<ActionInfo[]>`
      select status, action, created_at, rate_limit_per_sec from bulk_actions where id = ${id} and tenant_id = ${tenantId} -- bulk.executorAction`;
    return row;
  }

  /** Retries infrastructure failures until they pass or the executor stops; never skips a chunk. */
  async function untilDone<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      try {
        return await fn();
      } catch (err) {
        if (!running) throw err;
        log.warn({ err, what, retryInMs: delay }, 'bulk chunk step failed; retrying');
        await sleep(delay);
      }
    }
  }

  /** One chunk, watched: a step that runs past stuckWarnMs is logged (and again each period) with its name. */
  async function handle(chunk: ChunkInput, meta: { partition: number; offset: number }, ids: { outcome: number; change: number }) {
    const started = Date.now();
    let current = 'start';
    const watch = setInterval(() => {
      log.warn({ bulk_action_id: chunk.bulk_action_id, chunk_no: chunk.chunk_no, ...meta, step: current, elapsedMs: Date.now() - started }, 'bulk chunk still running');
    }, stuckWarnMs);
    const step = <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      current = what;
      return untilDone(what, fn);
    };
    try {
      await handleChunk(chunk, meta, ids, step);
    } finally {
      clearInterval(watch);
    }
  }

  async function handleChunk(
    chunk: ChunkInput,
    meta: { partition: number; offset: number },
    ids: { outcome: number; change: number },
    step: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
  ) {
    const info = await step('read action', () => actionInfo(chunk.bulk_action_id, chunk.tenant_id));
    if (!info) {
      log.error({ bulk_action_id: chunk.bulk_action_id, tenant_id: chunk.tenant_id }, 'chunk of an unknown bulk action; skipped');
      return;
    }
    let outcome: ChunkOutcome;
    if (info.status === 'cancelled') {
      outcome = await step('record cancelled', () => recordCancelled(sql, chunk));
    } else {
      const rate = Math.min(info.rate_limit_per_sec ?? Infinity, cfg.BULK_RATE_LIMIT_PER_SEC);
      const fresh = !(await step('ledger', () => sql`select 1 from bulk_chunks where bulk_action_id = ${chunk.bulk_action_id} and chunk_no = ${chunk.chunk_no} -- bulk.ledgerProbe`)).length;
      const yielded = fresh && ingestYield ? await step('ingest yield', () => ingestYield.gate()) : 0;
      const waited = yielded + (fresh ? await step('rate limit', () => limiter.acquire(chunk.tenant_id, chunk.entity_ids.length, rate)) : 0);
      // a cancel that landed while this chunk waited for its budget still stops it
      const cancelled = waited > 0 && (await step('re-read action', () => actionInfo(chunk.bulk_action_id, chunk.tenant_id)))?.status === 'cancelled';
      const fault = () => {
        if (faultKind === 'kill_in_tx' && appliedHere + 1 === Number(faultAt)) process.kill(process.pid, 'SIGKILL');
      };
      outcome = cancelled
        ? await step('record cancelled', () => recordCancelled(sql, chunk))
        : await step('apply chunk', () => applyChunk(sql, chunk, { beforeCommit: fault, ledgerChecked: fresh }));
      if (outcome.kind === 'applied') {
        appliedHere += 1;
        chunkSeconds.observe(outcome.durationMs / 1000);
        if (faultKind === 'kill_after_commit' && appliedHere === Number(faultAt)) process.kill(process.pid, 'SIGKILL');
      }
    }
    chunksTotal.inc({ result: outcome.kind });
    const ctx = {
      bulkActionId: chunk.bulk_action_id,
      tenantId: chunk.tenant_id,
      action: chunk.action,
      receivedAt: info.created_at.getTime(),
      processedAt: outcome.appliedAt.getTime(),
      attempts: outcome.attempts,
      topic: chunksTopic,
      ...meta,
    };
    let entities = outcome.entities;
    const changedIds = outcome.results.filter((r) => r[1] === 'succeeded').map((r) => r[0]);
    if (outcome.kind === 'replayed' && changedIds.length) {
      // Re-emission after a redelivery: the change feed gets the contact as it is now (same change_id).
      const rows = await step('re-read', () =>
        sql<{ id: string; entity: Record<string, unknown> }[]>`
          select c.id, to_jsonb(c) as entity from unnest(${changedIds.map(() => chunk.tenant_id)}::text[], ${changedIds}::text[]) as k(tenant_id, id)
          join contacts c on c.tenant_id = k.tenant_id and c.id = k.id -- bulk.reemit (keys with their tenant: see chunk.apply.ts)`,
      );
      entities = new Map(rows.map((r) => [r.id, r.entity]));
    }
    const outcomes = outcomeRecords(ctx, outcome.results);
    const changes = changeRecords(ctx, outcome.results, entities);
    for (const r of outcome.results) contactsTotal.inc({ status: r[1] });
    await step('produce', () =>
      producer!.sendBatch({
        acks: -1,
        topicMessages: [
          { topic: outcomesTopic, messages: outcomes.map((o) => ({ key: `${o.tenant_id}:${o.entity_id}`, value: encode(outcomeType, ids.outcome, o) })) },
          { topic: changesTopic, messages: changes.map((c) => ({ key: `${c.tenant_id}:${c.entity_id}`, value: encode(changeType, ids.change, c) })) },
        ].filter((t) => t.messages.length > 0),
      }),
    );
    onChunk?.({ bulk_action_id: chunk.bulk_action_id, chunk_no: chunk.chunk_no, kind: outcome.kind });
  }

  return {
    async start(groupId = topicName(cfg, 'inflow.bulk-executors')) {
      running = true;
      const ids = {
        outcome: await registry.register(subjectFor(outcomesTopic), readSchema('outcome')),
        change: await registry.register(subjectFor(changesTopic), readSchema('change')),
      };
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 }); // idempotent producer ordering
      await producer.connect();
      consumer = kafka.consumer({ groupId, sessionTimeout: 15_000, heartbeatInterval: 3_000 }); // a killed executor's partitions move after 15 s; a chunk heartbeats when done (< 1 s tx, <= 2 s yield)
      // which partitions this process took: an executor that joined with none waits for the next rebalance
      consumer.on(consumer.events.GROUP_JOIN, (e) => log.info({ groupId, assignment: e.payload.memberAssignment, leader: e.payload.isLeader }, 'bulk executors joined group'));
      await consumer.connect();
      await consumer.subscribe({ topic: chunksTopic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: cfg.BULK_EXECUTOR_CONCURRENCY,
        eachMessage: async ({ topic, partition, message, heartbeat }) => {
          if (!message.value) return;
          const { value } = await decoder.decode<ChunkInput & { row_numbers: (number | bigint)[] }>(message.value);
          const chunk: ChunkInput = { ...value, row_numbers: value.row_numbers.map(Number) };
          await handle(chunk, { partition, offset: Number(message.offset) }, ids);
          // Only now, with the chunk committed in Postgres and its outcomes acked by the broker.
          await consumer!.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
          await heartbeat();
        },
      });
      log.info({ topic: chunksTopic, groupId, concurrency: cfg.BULK_EXECUTOR_CONCURRENCY }, 'bulk executors started');
    },
    async stop() {
      running = false;
      await consumer?.disconnect();
      await producer?.disconnect();
    },
  };
}
