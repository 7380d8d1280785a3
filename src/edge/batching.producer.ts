// kafkajs does not batch on its own: one awaited send per request costs a broker round trip each.
// Here concurrent requests append to one queue; a small pool of idempotent producers (acks=all) each keeps one
// sendBatch in flight, carrying everything that arrived while the previous ones were on the wire. Each request
// awaits its own messages' acks. (kafkajs holds a per-broker lock for an idempotent producer, so one producer can
// never have two requests in flight; a pool can.)
import type { Kafka, Message, Producer } from 'kafkajs';
import { DependencyUnavailableError } from '../infra/errors.ts';
import type { Logger } from '../infra/logger.ts';
import { producerBatchSize, producerErrors } from './edge.metrics.ts';

export interface ProduceMessage {
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface BatchingProducer {
  /** Resolves once every message is acknowledged by all in-sync replicas; rejects (retriable) on timeout or broker error. */
  send(messages: ProduceMessage[]): Promise<void>;
  /** True while the current producer is connected and its last batch succeeded. */
  healthy(): boolean;
  /** Waits for queued and in-flight batches, then disconnects. */
  close(): Promise<void>;
}

export interface BatchingOptions {
  lingerMs: number;
  maxBatchMessages: number;
  timeoutMs: number;
  /** Idempotent producers in the pool; each has one batch in flight (kafkajs locks a broker per idempotent producer). */
  producers: number;
}

interface Entry {
  messages: ProduceMessage[];
  resolve: () => void;
  reject: (err: Error) => void;
  settled: boolean;
  /** The producer carrying it, once its batch is on the wire. */
  sending?: { slot: Slot; producer: Slot['producer'] };
  timer: NodeJS.Timeout;
}

interface Slot {
  producer?: { client: Producer; connected: Promise<void> };
  busy?: Promise<void>;
}

export function createBatchingProducer(deps: { kafka: Kafka; logger: Logger }, options: BatchingOptions): BatchingProducer {
  const log = deps.logger.child({ module: 'edge.producer' });
  const queue: Entry[] = [];
  let queued = 0;
  // Ordering: one request's messages always share one batch on one producer, and a client sees its 2xx only after
  // the ack, so every order a client can observe is kept even with several batches in flight.
  const slots: Slot[] = Array.from({ length: Math.max(1, options.producers) }, () => ({}));
  let lingerTimer: NodeJS.Timeout | undefined;
  let lastOk = true;
  let closing = false;

  function producerOf(slot: Slot) {
    if (!slot.producer) {
      const client = deps.kafka.producer({
        idempotent: true, // with acks=all: a retried batch is written once
        maxInFlightRequests: 1, // kafkajs keeps idempotent ordering only with one request in flight
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 }, // bounded: the request deadline answers 503 anyway
      });
      const connected = client.connect();
      connected.catch(() => undefined);
      slot.producer = { client, connected };
    }
    return slot.producer;
  }

  /** After an indeterminate failure the producer's sequence state is unknown: start a fresh one. */
  function recreate(slot: Slot, reason: string, err?: unknown) {
    const old = slot.producer;
    slot.producer = undefined;
    lastOk = false;
    producerErrors.inc({ kind: reason });
    log.warn({ err, reason }, 'producer failed, recreating it');
    if (old) old.client.disconnect().catch(() => undefined);
  }

  function settle(entry: Entry, err?: Error) {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    if (err) entry.reject(err);
    else entry.resolve();
  }

  const anyBusy = () => slots.some((s) => s.busy !== undefined);

  /** Starts a batch on every idle producer while messages wait. */
  function pump() {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.busy) continue;
      slot.busy = flush(slot);
    }
  }

  function schedule() {
    if (queue.length === 0) return;
    // Busy: the queue leaves with the next free producer. Idle: wait a moment so concurrent requests share a batch.
    if (anyBusy() || queued >= options.maxBatchMessages || options.lingerMs === 0) return pump();
    lingerTimer ??= setTimeout(() => {
      lingerTimer = undefined;
      pump();
    }, options.lingerMs);
  }

  async function flush(slot: Slot): Promise<void> {
    const batch: Entry[] = [];
    let count = 0;
    while (queue.length && (count === 0 || count + queue[0]!.messages.length <= options.maxBatchMessages)) {
      const entry = queue.shift()!;
      queued -= entry.messages.length;
      if (entry.settled) continue; // timed out while queued
      batch.push(entry);
      count += entry.messages.length;
    }
    try {
      if (batch.length) await sendBatch(slot, batch, count);
    } finally {
      slot.busy = undefined;
      pump(); // what queued up during this send goes now: the next batch
    }
  }

  async function sendBatch(slot: Slot, batch: Entry[], count: number): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const entry of batch) {
      for (const m of entry.messages) {
        let list = byTopic.get(m.topic);
        if (!list) byTopic.set(m.topic, (list = []));
        list.push({ key: m.key, value: m.value, headers: m.headers });
      }
    }
    const p = producerOf(slot);
    for (const entry of batch) entry.sending = { slot, producer: p };
    let watchdog: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          await p.connected;
          await p.client.sendBatch({ acks: -1, timeout: options.timeoutMs, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        })(),
        new Promise<never>((_, reject) => {
          watchdog = setTimeout(() => reject(new Error('produce timed out')), options.timeoutMs);
        }),
      ]);
      lastOk = true;
      producerBatchSize.observe(count);
      for (const entry of batch) settle(entry);
    } catch (err) {
      if (slot.producer === p) recreate(slot, err instanceof Error && err.message === 'produce timed out' ? 'timeout' : 'send', err);
      const failure = new DependencyUnavailableError('kafka', 'the broker did not acknowledge in time', err);
      for (const entry of batch) settle(entry, failure);
    } finally {
      clearTimeout(watchdog);
    }
  }

  return {
    send(messages) {
      if (closing) return Promise.reject(new DependencyUnavailableError('kafka', 'the producer is shutting down'));
      if (messages.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const entry: Entry = { messages, resolve, reject, settled: false, timer: undefined as unknown as NodeJS.Timeout };
        // The request's own deadline: queued or on the wire, past it the caller answers 503, never 2xx.
        entry.timer = setTimeout(() => {
          // Past the deadline with its batch unanswered: that producer's state is indeterminate, replace it now.
          const s = entry.sending;
          if (s && !entry.settled && s.slot.producer === s.producer) recreate(s.slot, 'timeout');
          settle(entry, new DependencyUnavailableError('kafka', 'produce timed out'));
        }, options.timeoutMs);
        queue.push(entry);
        queued += messages.length;
        schedule();
      });
    },
    healthy: () => lastOk,
    async close() {
      closing = true;
      if (lingerTimer) {
        clearTimeout(lingerTimer);
        lingerTimer = undefined;
      }
      pump();
      while (anyBusy()) await Promise.all(slots.map((sl) => sl.busy ?? Promise.resolve()));
      await Promise.all(slots.map((sl) => (sl.producer ? sl.producer.client.disconnect().catch(() => undefined) : Promise.resolve())));
      for (const sl of slots) sl.producer = undefined;
    },
  };
}
