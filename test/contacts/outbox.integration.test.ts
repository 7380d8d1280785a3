// Every API write reaches crm.changes and crm.outcomes through the transactional outbox, exactly once per entry,
// including when the relay process is killed after producing and before marking the rows sent. Nothing goes to crm.events.
import { fork } from 'node:child_process';
import path from 'node:path';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxRelay } from '../../src/contacts/outbox.relay.ts';
import { createKafka, topicName } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createDecoder } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { schemaType } from '../../src/schemas/schema-files.ts';
import { createTestApi, registerAccount, type TestApi } from '../accounts/api.support.ts';
import { unique } from '../support/helpers.ts';

interface Wire {
  topic: 'crm.changes' | 'crm.outcomes';
  id: string;
  key: string;
  raw: string;
  value: Record<string, unknown>;
}

let t: TestApi;
beforeAll(async () => {
  t = await createTestApi({}, { topics: true });
  await t.api.relay.drain(); // rows other test files left pending go out first, so each test below sees only its own
});
afterAll(() => t.close());

/** Every message of the two topics (1 partition each in these tests) up to their current high watermarks. */
async function readAll(): Promise<Wire[]> {
  const kafka = createKafka(t.cfg);
  const admin = kafka.admin();
  await admin.connect();
  const bases = ['crm.changes', 'crm.outcomes'] as const;
  const ends = new Map<string, number>();
  for (const base of bases) ends.set(topicName(t.cfg, base), Number((await admin.fetchTopicOffsets(topicName(t.cfg, base)))[0]!.high));
  await admin.disconnect();
  const registry = createSchemaRegistry(t.cfg.SCHEMA_REGISTRY_URL);
  const decoders = { 'crm.changes': createDecoder(registry, schemaType('change')), 'crm.outcomes': createDecoder(registry, schemaType('outcome')) };
  const consumer: Consumer = kafka.consumer({ groupId: unique('g.outbox') });
  await consumer.connect();
  for (const base of bases) await consumer.subscribe({ topic: topicName(t.cfg, base), fromBeginning: true });
  const out: Wire[] = [];
  const done = [...ends.values()].every((n) => n === 0);
  if (!done) {
    await new Promise<void>((resolve, reject) => {
      const reached = new Map<string, number>();
      void consumer
        .run({
          eachMessage: async ({ topic, message }) => {
            const base = bases.find((b) => topicName(t.cfg, b) === topic)!;
            const { value } = await decoders[base].decode<Record<string, unknown>>(message.value as Buffer);
            const id = String(base === 'crm.changes' ? value.change_id : value.outcome_id);
            out.push({ topic: base, id, key: String(message.key), raw: (message.value as Buffer).toString('base64'), value });
            reached.set(topic, Number(message.offset) + 1);
            if ([...ends].every(([tp, end]) => (reached.get(tp) ?? 0) >= end)) resolve();
          },
        })
        .catch(reject);
    });
  }
  await consumer.disconnect();
  return out;
}

async function writeSomeContacts(token: string) {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await t.call('POST', '/v1/contacts', { token, body: { first_name: `P${i}`, email: `${unique('p')}@example.com` } });
    ids.push(c.body.id);
  }
  await t.call('PATCH', `/v1/contacts/${ids[0]}`, { token, body: { title: 'CTO' } });
  await t.call('DELETE', `/v1/contacts/${ids[1]}`, { token });
  await t.call('POST', `/v1/contacts/${ids[1]}/restore`, { token });
  await t.call('PUT', `/v1/contacts/${ids[2]}`, { token, body: { first_name: 'Replaced' } });
  return ids; // 7 writes -> 7 changes + 7 outcomes
}

describe('transactional outbox', () => {
  it('delivers one Change and one Outcome per API write, in order per contact, and none to crm.events', async () => {
    const a = await registerAccount(t);
    await t.api.relay.start(); // NOTIFY-driven
    const ids = await writeSomeContacts(a.token);
    // two refused writes: each is an input with an Outcome (rejected, with its reason) and no Change
    expect((await t.call('PATCH', `/v1/contacts/${ids[0]}`, { token: a.token, headers: { 'if-match': '"1"' }, body: { title: 'late' } })).status).toBe(412);
    const first = await t.call('GET', `/v1/contacts/${ids[0]}`, { token: a.token });
    expect((await t.call('POST', '/v1/contacts', { token: a.token, body: { email: first.body.email } })).status).toBe(409);
    await expect.poll(async () => (await t.api.sql`select count(*)::int as n from outbox where tenant_id = ${a.accountId} and sent_at is null`)[0]!.n, { timeout: 15_000 }).toBe(0);
    await t.api.relay.stop();

    const mine = (await readAll()).filter((m) => m.value.tenant_id === a.accountId);
    const changes = mine.filter((m) => m.topic === 'crm.changes');
    const outcomes = mine.filter((m) => m.topic === 'crm.outcomes');
    expect(changes).toHaveLength(7);
    expect(outcomes).toHaveLength(9);
    expect(new Set(mine.map((m) => `${m.topic}:${m.id}`)).size).toBe(16);
    expect(outcomes.filter((m) => m.value.status === 'rejected').map((m) => [m.value.type, m.value.reason, m.value.entity_id, m.value.entity_version])).toEqual([
      ['contact.patch', 'stale', ids[0], 2],
      ['contact.create', 'duplicate_email', ids[0], null],
    ]);
    for (const m of changes) expect(m.key).toBe(`${a.accountId}:${m.value.entity_id}`);
    expect(changes.filter((m) => m.value.entity_id === ids[1]).map((m) => [m.value.version, m.value.op])).toEqual([
      [1, 'upsert'],
      [2, 'delete'],
      [3, 'restore'],
    ]);
    expect(changes[0]!.value).toMatchObject({ entity_type: 'contact', cause_kind: 'api', version: 1, op: 'upsert' });
    expect(JSON.parse(String(changes[0]!.value.entity_json))).toMatchObject({ id: ids[0], first_name: 'P0' });
    expect(outcomes.filter((m) => m.value.status === 'applied').map((m) => m.value.type)).toEqual(['contact.create', 'contact.create', 'contact.create', 'contact.patch', 'contact.delete', 'contact.restore', 'contact.replace']);
    expect(outcomes[0]!.value).toMatchObject({ kind: 'api', source: 'api', status: 'applied', entity_type: 'contact', entity_version: 1, email_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(outcomes)).not.toContain('@example.com'); // PII leaves Postgres only hashed

    const admin = createKafka(t.cfg).admin();
    await admin.connect();
    const topics = await admin.listTopics();
    const events = topicName(t.cfg, 'crm.events');
    if (topics.includes(events)) expect(Number((await admin.fetchTopicOffsets(events))[0]!.high)).toBe(0);
    await admin.disconnect();
  });

  it('re-sends identical records after a relay is killed between produce and commit: exactly once per entry after dedup by id', async () => {
    const a = await registerAccount(t);
    await writeSomeContacts(a.token);
    const pending = await t.api.sql<{ message_id: string }[]>`select message_id from outbox where tenant_id = ${a.accountId} and sent_at is null order by id`;
    expect(pending).toHaveLength(14);

    const child = fork(path.join(import.meta.dirname, 'relay.child.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, KAFKA_TOPIC_PREFIX: t.cfg.KAFKA_TOPIC_PREFIX },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const sent = await new Promise<string[]>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { sent: string[] }).sent));
      child.once('exit', (code) => reject(new Error(`relay child exited early with ${code}`)));
    });
    expect(sent).toEqual(pending.map((p) => p.message_id)); // Kafka acked all 14; none is marked sent yet
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    // Postgres rolls the dead relay's transaction back when its connection drops; the rows are pending again.
    await expect.poll(async () => (await t.api.sql`select count(*)::int as n from outbox where tenant_id = ${a.accountId} and sent_at is null`)[0]!.n, { timeout: 15_000 }).toBe(14);
    const relay = createOutboxRelay({ sql: t.api.sql, producer: t.api.producer, registry: createSchemaRegistry(t.cfg.SCHEMA_REGISTRY_URL), logger: createLogger(t.cfg) }, t.cfg);
    await expect.poll(() => relay.drain(), { timeout: 15_000 }).toBeGreaterThanOrEqual(14); // waits until the dead relay's lock is gone
    expect(await relay.drain()).toBe(0);

    const mine = (await readAll()).filter((m) => m.value.tenant_id === a.accountId);
    expect(mine).toHaveLength(28); // on the wire: every entry twice (the killed relay's send, the re-send)
    const byId = new Map<string, Wire[]>();
    for (const m of mine) byId.set(`${m.topic}:${m.id}`, [...(byId.get(`${m.topic}:${m.id}`) ?? []), m]);
    expect([...byId.keys()].sort()).toEqual(pending.map((p) => p.message_id).sort()); // exactly once per outbox entry after dedup
    for (const copies of byId.values()) {
      expect(copies).toHaveLength(2);
      expect(copies[0]!.raw).toBe(copies[1]!.raw); // byte-identical: a consumer keeping one record per id loses nothing
    }
  });
});
