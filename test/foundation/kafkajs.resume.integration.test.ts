// patches/kafkajs+2.2.4.patch: a consumer whose partitions are all paused sleeps maxWaitTime between fetch attempts
// (5 s by default), so stock kafkajs takes up to that long to consume again after resume(). The worker pauses and
// resumes its consumers (the control API's stop/start): with the patch, resume() wakes the sleeping fetch loop.
// Here maxWaitTime is 8 s, so stock kafkajs would take ~6.5 s to deliver after resume; patched, it is immediate.
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/infra/kafka.ts';
import { testConfig, unique } from '../support/helpers.ts';

const topic = unique('t.resume');
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let consumer: Consumer | undefined;

beforeAll(async () => {
  kafka = createKafka(testConfig());
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  producer = kafka.producer();
  await producer.connect();
});
afterAll(async () => {
  await producer?.send({ topic, messages: [{ value: 'ends the long poll' }] }).catch(() => {}); // disconnect waits for it
  await consumer?.disconnect();
  await producer?.disconnect();
  await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin?.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a paused kafkajs consumer', () => {
  it('consumes again as soon as it is resumed, not a fetch wait later', async () => {
    const c = (consumer = kafka.consumer({ groupId: unique('g.resume'), maxWaitTimeInMs: 8_000 }));
    const received: { value: string; at: number }[] = [];
    let joined = false;
    c.on(c.events.GROUP_JOIN, () => void (joined = true));
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void received.push({ value: message.value!.toString(), at: Date.now() }) });
    while (!joined) await sleep(50);

    await producer.send({ topic, messages: [{ value: 'before pause' }] });
    while (received.length < 1) await sleep(20);

    c.pause([{ topic }]);
    // the long-poll fetch under way returns with this message, which is dropped (paused); the loop then sleeps
    await producer.send({ topic, messages: [{ value: 'while paused' }] });
    await sleep(1_500);
    expect(received.map((r) => r.value)).toEqual(['before pause']);

    const resumedAt = Date.now();
    c.resume([{ topic }]);
    while (received.length < 2 && Date.now() - resumedAt < 12_000) await sleep(20);
    expect(received.map((r) => r.value)).toEqual(['before pause', 'while paused']);
    // stock kafkajs: the rest of maxWaitTime (~6.5 s); patched: one fetch round trip
    expect(received[1]!.at - resumedAt).toBeLessThan(3_000);
  });
});
