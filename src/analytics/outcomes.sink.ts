// The outcomes sink: crm.outcomes -> ClickHouse in few large inserts, offsets committed only after the insert.
//
// Records accumulate across kafkajs batches until SINK_MAX_ROWS or SINK_MAX_WAIT_MS. A flush then
//   1. asks ClickHouse which crm.outcomes offsets it already holds (sink_positions, written by the insert itself)
//      and drops those rows: a crash between insert and commit re-reads them, whatever the batch boundaries;
//   2. inserts the rest as ONE insert with a deterministic insert_deduplication_token (topic + offset ranges):
//      a retry of the same insert is dropped by the table and by every materialized view;
//   3. commits exactly the offsets it read.
// ClickHouse unreachable: the consumer pauses, the flush retries with backoff, nothing is committed, nothing skipped.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../infra/logger.ts';
import type { Decoder } from '../schemas/avro.codec.ts';
import { isRetriable } from '../infra/errors.ts';
import { createRecentIds, OutcomeBatch, rowsToInsert } from './outcome.batch.ts';
import { batchToken, type OutcomeRecord } from './outcome.row.ts';
import type { OutcomesStore } from './outcomes.store.ts';
import { sinkMetrics as m } from './sink.metrics.ts';

export interface SinkOptions {
  topic: string;
  groupId: string;
  maxRows: number;
  maxWaitMs: number;
  /** Tests only: SIGKILL this process right after the Nth insert, before its offsets are committed. */
  killAfterInsert?: number;
  /** Outcome ids remembered after insert so an upstream re-emission seconds later is not inserted (and counted by views) again. */
  recentIdsCapacity?: number;
}

export interface OutcomesSink {
  start(): Promise<void>;
  /** Flushes what was read (if ClickHouse answers), commits, leaves the group. */
  stop(): Promise<void>;
  /** Resolves once every record up to now has been inserted and committed (tests, benchmarks). */
  flush(): Promise<void>;
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000; // an outage is noticed within 5 s of its end

export function createOutcomesSink(
  deps: { kafka: Kafka; decoder: Decoder; store: OutcomesStore; logger: Logger },
  options: SinkOptions,
): OutcomesSink {
  const { kafka, decoder, store } = deps;
  const logger = deps.logger.child({ module: 'outcomes.sink', topic: options.topic, group: options.groupId });
  const recent = createRecentIds(options.recentIdsCapacity ?? 200_000); // ~20 MB; covers a worker's redelivery delay at 5k/s
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 4 * 1024 * 1024, // ~20k outcomes per fetch: a 10k-row batch in one or two fetches
    // a trickle of outcomes is fetched in tens, not ones: the rows wait up to maxWaitMs for the insert anyway
    minBytes: 65_536,
    maxWaitTimeInMs: Math.max(10, Math.min(250, Math.floor(options.maxWaitMs / 4))),
  });
  let pending = new OutcomeBatch();
  let flushing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let inserts = 0;
  const highWatermarks = new Map<number, number>();

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Retries a ClickHouse call until it succeeds; pauses fetching meanwhile so records wait in the broker. */
  async function untilDone<T>(what: string, call: () => Promise<T>): Promise<T> {
    let delay = BACKOFF_MIN_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await call();
        if (attempt > 1) {
          logger.info({ what, attempts: attempt }, 'ClickHouse answers again; resuming');
          consumer.resume([{ topic: options.topic }]);
          m.paused.set(0);
        }
        return result;
      } catch (err) {
        m.insertFailures.inc();
        if (attempt === 1) {
          consumer.pause([{ topic: options.topic }]);
          m.paused.set(1);
        }
        logger.error({ err, what, attempt, retryInMs: delay }, 'ClickHouse call failed; paused, will retry (nothing is committed)');
        if (stopping && attempt >= 3) throw err; // stopping: give up; the records are uncommitted and will be re-read
        await sleep(delay);
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
      }
    }
  }

  async function write(batch: OutcomeBatch): Promise<void> {
    if (batch.ranges.size === 0) return;
    const partitions = [...batch.ranges.keys()];
    const held = await untilDone('positions', () => store.positions(options.topic, partitions));
    for (const [partition, offset] of held) {
      const high = highWatermarks.get(partition);
      if (high !== undefined && offset >= high) {
        // ClickHouse holds offsets this partition never reached: the topic was deleted and re-created. Skipping by
        // position would drop new records, so this partition is inserted unfiltered (see README, Analytics).
        logger.error({ partition, held: offset, highWatermark: high }, 'sink_positions ahead of the topic: was crm.outcomes re-created? not skipping by position');
        held.delete(partition);
      }
    }
    const { rows, ranges, skippedHeld, skippedDuplicate } = rowsToInsert(batch, held, recent);
    if (skippedHeld) m.rowsSkipped.inc({ reason: 'held' }, skippedHeld);
    if (skippedDuplicate) m.rowsSkipped.inc({ reason: 'duplicate' }, skippedDuplicate);
    if (rows.length > 0) {
      const token = batchToken(options.topic, ranges);
      const lines = rows.map((r) => r.line);
      const started = performance.now();
      await untilDone('insert', () => store.insert(lines, token));
      m.insertDuration.observe((performance.now() - started) / 1000);
      m.inserts.inc();
      m.rowsInserted.inc(rows.length);
      m.batchRows.observe(rows.length);
      m.lagSeconds.set((Date.now() - rows.reduce((max, r) => Math.max(max, r.processedAt), 0)) / 1000);
      recent.addAll(rows.map((r) => r.outcomeId));
      inserts++;
      if (options.killAfterInsert !== undefined && inserts >= options.killAfterInsert) {
        logger.warn({ inserts, token }, 'SINK_TEST_FAULT: killing the process after the insert, before the commit');
        process.kill(process.pid, 'SIGKILL');
        await sleep(60_000);
      }
    }
    try {
      await consumer.commitOffsets(batch.commits().map((c) => ({ topic: options.topic, ...c })));
    } catch (err) {
      // A rebalance took the partition: its new owner re-reads these records and skips them (sink_positions).
      logger.warn({ err, commits: batch.commits() }, 'offset commit failed after a successful insert; the next owner will skip the rows');
    }
  }

  /** Starts a flush of everything read so far, after the one in progress (commits stay in offset order). */
  function startFlush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const previous = flushing ?? Promise.resolve();
    const current = previous.then(() => {
      const batch = pending;
      pending = new OutcomeBatch();
      return write(batch);
    });
    const tracked: Promise<void> = current.then(
      () => undefined,
      () => undefined,
    );
    flushing = tracked;
    void tracked.then(() => {
      if (flushing === tracked) flushing = undefined;
    });
    return current;
  }

  function armTimer(): void {
    if (timer || pending.ranges.size === 0) return;
    const wait = Math.max(0, options.maxWaitMs - (Date.now() - pending.startedAt));
    timer = setTimeout(() => {
      timer = undefined;
      startFlush().catch((err: unknown) => logger.error({ err }, 'timed flush failed'));
    }, wait);
  }

  async function decode(message: { value: Buffer | null; offset: string }, partition: number): Promise<OutcomeRecord | null> {
    if (!message.value) return null;
    try {
      return (await decoder.decode<OutcomeRecord>(message.value)).value;
    } catch (err) {
      // Bytes that are not an Outcome (bad framing, unknown schema id, body that does not decode) can never be inserted:
      // count and log them with their position. A retriable failure (registry unreachable) is thrown: kafkajs
      // re-delivers the batch from the last resolved offset.
      if (!isRetriable(err)) {
        m.rowsSkipped.inc({ reason: 'undecodable' });
        logger.error({ err, partition, offset: message.offset }, 'undecodable crm.outcomes record skipped');
        return null;
      }
      throw err;
    }
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { partition } = batch;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(message.offset);
      const outcome = await decode(message, partition);
      if (outcome) pending.add(outcome, { topic: options.topic, partition, offset });
      else pending.markRead(partition, offset);
      resolveOffset(message.offset); // read, not committed: the commit waits for the insert
    }
    highWatermarks.set(partition, Number(batch.highWatermark));
    const last = batch.messages.at(-1);
    if (last) m.lagMessages.set({ partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - 1 - Number(last.offset)));
    if (pending.size >= options.maxRows) {
      // Back-pressure: wait for the insert here, heartbeating so a long ClickHouse outage is not a rebalance.
      const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
      try {
        await startFlush();
      } finally {
        clearInterval(beat);
      }
    } else armTimer();
  }

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
      logger.info({ maxRows: options.maxRows, maxWaitMs: options.maxWaitMs }, 'outcomes sink started');
    },
    async flush() {
      await startFlush();
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      consumer.pause([{ topic: options.topic }]);
      try {
        await startFlush(); // while still in the group, so the commit lands
      } catch (err) {
        logger.warn({ err }, 'final flush failed; the uncommitted records will be re-read by the next sink');
      }
      await consumer.disconnect();
    },
  };
}
