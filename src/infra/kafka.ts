// Thin adapter over kafkajs, kept here so the client could be swapped (kafkajs is unmaintained since 2023).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Kafka, logLevel, type Admin, type ISocketFactory, type ITopicConfig, type LogEntry } from 'kafkajs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PROJECT_ROOT, type Config } from '../config.ts';
import type { Logger } from './logger.ts';
import { Murmur2Partitioner } from './murmur2.partitioner.ts';

export type { Kafka };

/**
 * kafkajs's own factory (TCP, keep-alive after 60 s) with Nagle off: a request written while an earlier one's last
 * segment is unacknowledged (an offset commit behind a produce) would otherwise wait for the broker's delayed ACK.
 */
const noDelaySocketFactory: ISocketFactory = ({ host, port, onConnect }) => {
  const socket = net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};

export function createKafka(cfg: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>, logger?: Logger, clientId?: string): Kafka {
  const kafka = new Kafka({
    clientId: clientId ?? cfg.KAFKA_CLIENT_ID,
    brokers: cfg.KAFKA_BROKERS.split(',').map((b) => b.trim()),
    connectionTimeout: 3000,
    socketFactory: noDelaySocketFactory,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (!logger) return;
      const { message, ...rest } = entry.log;
      // kafkajs reports every member's heartbeat during an ordinary rebalance as an ERROR: that is routine, not a fault
      const routine = (rest as { type?: unknown }).type === 'REBALANCE_IN_PROGRESS' || /group is rebalancing/.test(String(rest.error ?? ''));
      const level = entry.level <= logLevel.ERROR && !routine ? 'error' : entry.level <= logLevel.WARN ? 'warn' : 'debug';
      logger[level]({ kafka: entry.namespace, ...rest }, String(message));
    },
  });
  // Every producer partitions like kafkajs's default (murmur2 of the key, as the Java client does), with the
  // 32-bit implementation: kafkajs's own emulates 64-bit math and cost ~7 % of a bulk executor's CPU.
  const producer = kafka.producer.bind(kafka);
  kafka.producer = (config = {}) => producer({ createPartitioner: Murmur2Partitioner, ...config });
  return kafka;
}

const TopicSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  partitions: z.number().int().positive(),
  retention_ms: z.number().int(),
  cleanup_policy: z.enum(['delete', 'compact', 'compact,delete']),
  value_schema: z.string().optional(),
});
export type TopicDefinition = z.infer<typeof TopicSchema>;

/** The topics declared in redpanda/topics.yaml. */
export function loadTopicDefinitions(file = path.join(PROJECT_ROOT, 'redpanda', 'topics.yaml')): TopicDefinition[] {
  const doc = z.object({ topics: z.array(TopicSchema) }).parse(parseYaml(readFileSync(file, 'utf8')));
  return doc.topics;
}

/** The real topic name: a prefix lets tests and parallel stacks share one broker without sharing topics. */
export function topicName(cfg: Pick<Config, 'KAFKA_TOPIC_PREFIX'>, base: string): string {
  return `${cfg.KAFKA_TOPIC_PREFIX}${base}`;
}

// Right after a broker start, or right after creating them, topics can be briefly unknown to the metadata kafkajs
// reads while waiting for leaders ("This server does not host this topic-partition"): seen once from `inflow init`.
const TRANSIENT_TOPIC_ERRORS = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_CONTROLLER', 'REQUEST_TIMED_OUT']);

/** Creates the missing topics; existing ones are left as they are. Returns the names it created. */
export async function ensureTopics(admin: Admin, topics: TopicDefinition[], prefix = ''): Promise<string[]> {
  const created = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    try {
      for (const name of await createMissingTopics(admin, topics, prefix)) created.add(name);
      return [...created];
    } catch (err) {
      const e = err as { type?: string; cause?: { type?: string } };
      const type = e.type ?? e.cause?.type ?? '';
      if (attempt >= 5 || !TRANSIENT_TOPIC_ERRORS.has(type)) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

async function createMissingTopics(admin: Admin, topics: TopicDefinition[], prefix: string): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing: ITopicConfig[] = topics
    .filter((t) => !existing.has(prefix + t.name))
    .map((t) => ({
      topic: prefix + t.name,
      numPartitions: t.partitions,
      replicationFactor: 1, // single local broker; Redpanda in compose.yaml sets its own
      configEntries: [
        { name: 'retention.ms', value: String(t.retention_ms) },
        { name: 'cleanup.policy', value: t.cleanup_policy },
      ],
    }));
  if (missing.length === 0) return [];
  await admin.createTopics({ topics: missing, waitForLeaders: true });
  return missing.map((t) => t.topic);
}

/**
 * Deletes every topic whose name starts with `prefix` (a bench's or a test run's private topics): they are kept for
 * their retention otherwise, and a few benchmark runs leave tens of GB on the broker's disk. Returns the names deleted.
 */
export async function deleteTopicsWithPrefix(admin: Admin, prefix: string): Promise<string[]> {
  if (prefix === '') throw new Error('deleteTopicsWithPrefix: an empty prefix would delete every topic');
  const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 30_000 });
  return ours;
}
