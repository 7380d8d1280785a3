// A separate kafkajs consumer for the edge tests: reads a topic from the offsets it had when created,
// keeps the messages of one tenant, and lets a test await a message instead of sleeping.
import { EventEmitter } from 'node:events';
import type { Consumer, KafkaMessage } from 'kafkajs';
import type { Kafka } from '../../src/infra/kafka.ts';
import { unique } from '../support/helpers.ts';

export interface Collected {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

export interface Collector {
  messages: Collected[];
  waitFor(predicate: (m: Collected) => boolean, timeoutMs?: number): Promise<Collected>;
  stop(): Promise<void>;
}

function headersOf(m: KafkaMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
}

export async function collect(kafka: Kafka, topic: string, keep: (m: Collected) => boolean): Promise<Collector> {
  const admin = kafka.admin();
  await admin.connect();
  const start = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer: Consumer = kafka.consumer({ groupId: unique('g.edge-test'), maxWaitTimeInMs: 100 });
  const events = new EventEmitter();
  const messages: Collected[] = [];
  const seen = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const assigned = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const m: Collected = { key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0), headers: headersOf(message), partition, offset: message.offset };
      // The seek below may replay a few messages already seen: each offset counts once.
      if (seen.has(`${partition}:${message.offset}`) || !keep(m)) return;
      seen.add(`${partition}:${message.offset}`);
      messages.push(m);
      events.emit('message', m);
    },
  });
  await assigned;
  for (const p of start) consumer.seek({ topic, partition: p.partition, offset: p.offset });
  return {
    messages,
    waitFor(predicate, timeoutMs = 20_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('message', on);
          reject(new Error(`no matching message on ${topic} within ${timeoutMs} ms`));
        }, timeoutMs);
        const on = (m: Collected) => {
          if (!predicate(m)) return;
          clearTimeout(timer);
          events.off('message', on);
          resolve(m);
        };
        events.on('message', on);
      });
    },
    stop: () => consumer.disconnect(),
  };
}
