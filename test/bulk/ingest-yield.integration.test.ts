// Bulk yields to ingest: a chunk waits (at most 2 s) while the worker group lags more than the threshold, never
// while it does not, and never longer than 2 s even when the broker does not answer the lag read at all.
import net from 'node:net';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestYield } from '../../src/bulk/ingest.yield.ts';
import { createKafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { testConfig, unique } from '../support/helpers.ts';

const prefix = `${unique('ty')}.`;
const cfg = testConfig({ KAFKA_TOPIC_PREFIX: prefix, BULK_YIELD_INGEST_LAG: '10' });
const logger = createLogger(cfg);
const topic = `${prefix}crm.events`;
const groupId = `${prefix}inflow-worker`;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  kafka = createKafka(cfg, logger);
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ key: String(i), value: 'x' })) });
  await producer.disconnect();
});
afterAll(async () => {
  await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin?.disconnect();
});

/** The worker group's committed offset, set as a stopped worker would have left it. */
async function committed(offset: number) {
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: String(offset) }] });
}

async function timedGate(k: Kafka): Promise<{ waited: number; took: number; stopTook: number }> {
  const gate = createIngestYield({ cfg, kafka: k, logger });
  const t0 = Date.now();
  const waited = await gate.gate();
  const took = Date.now() - t0;
  await gate.stop();
  return { waited, took, stopTook: Date.now() - t0 - took };
}

describe('the ingest yield gate', () => {
  it('does not wait while the worker group has never committed (no worker here)', async () => {
    const { waited } = await timedGate(kafka);
    expect(waited).toBeLessThan(500);
  });

  it('waits its 2 s bound while the group lags 50 events over a threshold of 10', async () => {
    await committed(0);
    const { waited, took } = await timedGate(kafka);
    expect(waited).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(4_000);
  });

  it('does not wait once the group has caught up', async () => {
    await committed(50);
    const { waited } = await timedGate(kafka);
    expect(waited).toBeLessThan(500);
  });

  it('stays within its bound when the broker accepts connections and never answers', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => void sockets.add(s)); // holds every socket open, replies to nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const mute = createKafka({ ...cfg, KAFKA_BROKERS: `127.0.0.1:${port}` });
      const { took, stopTook } = await timedGate(mute);
      expect(took).toBeLessThan(4_000);
      expect(stopTook).toBeLessThan(4_000); // shutdown is not held by a connect that never completes
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
