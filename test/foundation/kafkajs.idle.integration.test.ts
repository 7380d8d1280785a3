// patches/kafkajs+2.2.4.patch: stock kafkajs keeps a 1 ms timer loop alive on every broker connection, even with
// nothing queued (RequestQueue.scheduleCheckPendingRequests schedules at a negative delay, and each check schedules
// the next; tulios/kafkajs#1556). An idle `inflow start worker` spent ~1 % of a core per process on it, and a busy one
// paid it on its saturated main thread. Patched, a check runs only when a request waits or a response arrives.
import { createRequire } from 'node:module';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/infra/kafka.ts';
import { testConfig, unique } from '../support/helpers.ts';

// the module kafkajs's own connections use (same resolution, same cache)
const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: { checkPendingRequests: () => void } };

const topic = unique('t.idle');
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let consumer: Consumer | undefined;
const original = RequestQueue.prototype.checkPendingRequests;
let checks = 0;

beforeAll(async () => {
  RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
    checks += 1;
    return original.call(this);
  };
  kafka = createKafka(testConfig());
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  producer = kafka.producer();
  await producer.connect();
});
afterAll(async () => {
  RequestQueue.prototype.checkPendingRequests = original;
  await consumer?.disconnect();
  await producer?.disconnect();
  await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin?.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an idle kafkajs client', () => {
  it('runs no request-queue timer loop, and still delivers what is produced next', async () => {
    const c = (consumer = kafka.consumer({ groupId: unique('g.idle'), maxWaitTimeInMs: 5_000 }));
    const received: string[] = [];
    let joined = false;
    c.on(c.events.GROUP_JOIN, () => void (joined = true));
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
    while (!joined) await sleep(50);
    await sleep(500);

    // a consumer in a long poll, a producer and an admin, all idle: stock kafkajs runs ~1 000 checks a second on each
    // of their connections; patched, a check follows a response (a heartbeat, a fetch returning), a handful
    checks = 0;
    await sleep(2_000);
    expect(checks).toBeLessThan(50);

    await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `m${i}` })) });
    for (let waited = 0; received.length < 30 && waited < 10_000; waited += 50) await sleep(50);
    expect(received.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
  });
});
