// The foundation works end to end through the project's own adapters, against the real local stack.
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.ts';
import { StackError } from '../../src/infra/errors.ts';
import { createKafka, ensureTopics } from '../../src/infra/kafka.ts';
import { createPostgres, type Sql } from '../../src/infra/postgres.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { createDecoder, encode, readSchemaId } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { readSchema, schemaType, subjectFor } from '../../src/schemas/schema-files.ts';
import { redisService } from '../../src/stack/redis.service.ts';
import { testClickHouse, testConfig, unique } from '../support/helpers.ts';

const cfg = testConfig();

describe('Kafka + schema registry', () => {
  it('produces an Avro record framed with its registry id and consumes it back, looking the schema up by id', async () => {
    const topic = unique('t.foundation.avro');
    const kafka = createKafka(cfg);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: topic, partitions: 1, retention_ms: 3_600_000, cleanup_policy: 'delete' }]);
    await admin.disconnect();

    const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
    const schemaId = await registry.register(subjectFor(topic), readSchema('outcome'));
    const outcome = {
      outcome_id: unique('o'),
      event_id: 'e-1',
      tenant_id: 'acme',
      kind: 'event',
      type: 'lead.created',
      source: 'api',
      status: 'applied',
      reason: null,
      entity_type: 'lead',
      entity_id: 'lead-1',
      entity_version: 1,
      bulk_action_id: null,
      topic: 'crm.events',
      partition: 0,
      offset: 42,
      received_at: Date.parse('2026-01-01T00:00:00Z'), // timestamp-millis travel as epoch-ms numbers
      processed_at: Date.parse('2026-01-01T00:00:01Z'),
      attempt: 1,
      trace_id: null,
      utm_source: null,
      email_hash: null,
      phone_hash: null,
    };
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'acme:lead-1', value: encode(schemaType('outcome'), schemaId, outcome) }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: unique('g.foundation') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<Buffer>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(message.value as Buffer) });
    });
    await consumer.disconnect();

    expect(received.readUInt8(0)).toBe(0);
    expect(readSchemaId(received)).toBe(schemaId);
    // A fresh registry client, as a separate consumer would have: the schema comes from the registry by id.
    const decoder = createDecoder(createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL), schemaType('outcome'));
    const { value } = await decoder.decode<typeof outcome>(received);
    expect(value).toEqual(outcome);
  });
});

describe('Postgres', () => {
  let sql: Sql;
  beforeAll(() => {
    sql = createPostgres(cfg, { max: 2 });
  });
  afterAll(() => sql.end());

  it('commits a transaction as a whole and rolls one back as a whole', async () => {
    const kept = unique('tenant');
    const dropped = unique('tenant');
    await sql.begin(async (tx) => {
      await tx`insert into tenants (id, name) values (${kept}, 'kept')`;
    });
    await expect(
      sql.begin(async (tx) => {
        await tx`insert into tenants (id, name) values (${dropped}, 'dropped')`;
        await tx`insert into tenants (id, name) values (${kept}, 'duplicate primary key')`;
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const rows = await sql<{ id: string }[]>`select id from tenants where id in (${kept}, ${dropped})`;
    expect(rows.map((r) => r.id)).toEqual([kept]);
  });

  it('has every migration recorded with its checksum', async () => {
    const rows = await sql<{ name: string }[]>`select name from schema_migrations order by name`;
    expect(rows.map((r) => r.name)).toContain('001_tenants.sql');
  });
});

describe('Redis', () => {
  it('round-trips a value', async () => {
    const redis = createRedis(cfg);
    const key = unique('foundation');
    await redis.set(key, 'hello', 'EX', 60);
    expect(await redis.get(key)).toBe('hello');
    await redis.quit();
  });
});

describe('ClickHouse (embedded chDB through @clickhouse/client)', () => {
  it('inserts outcomes and queries them back, one row per outcome_id', async () => {
    const ch = await testClickHouse('foundation');
    const tenant = unique('tenant');
    const row = (id: string) => ({
      outcome_id: id,
      tenant_id: tenant,
      kind: 'event',
      type: 'lead.created',
      source: 'api',
      status: 'applied',
      received_at: '2026-01-01 00:00:00.000',
      processed_at: '2026-01-01 00:00:00.250',
      attempt: 1,
    });
    await ch.insert({ table: `${cfg.CLICKHOUSE_DATABASE}.outcomes`, values: [row('a'), row('b')], format: 'JSONEachRow' });
    await ch.insert({ table: `${cfg.CLICKHOUSE_DATABASE}.outcomes`, values: [row('a')], format: 'JSONEachRow' }); // a re-emission
    const res = await ch.query({
      query: `SELECT count() AS n, max(latency_ms) AS latency FROM ${cfg.CLICKHOUSE_DATABASE}.outcomes FINAL WHERE tenant_id = {tenant:String}`,
      query_params: { tenant },
      format: 'JSONEachRow',
    });
    expect(await res.json()).toEqual([{ n: 2, latency: 250 }]);
    await ch.close();
  });
});

describe('inflow status and port checks', () => {
  it('reports every service healthy and exits 0', async () => {
    const { stdout } = await promisify(execFile)('node', [path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'status', '--json']);
    const rows = JSON.parse(stdout) as { name: string; healthy: boolean }[];
    expect(rows.map((r) => r.name)).toEqual(['postgres', 'redis', 'kafka', 'schema-registry', 'clickhouse']);
    expect(rows.every((r) => r.healthy)).toBe(true);
  });

  it('refuses to start a service on a port another process holds, naming the service and the port', async () => {
    const squatter = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    const port = (squatter.address() as net.AddressInfo).port;
    const service = redisService({ REDIS_URL: `redis://127.0.0.1:${port}/0`, dataDir: path.join(PROJECT_ROOT, '.inflow', 'test', unique('stack')) });
    await expect(service.start(() => {})).rejects.toThrow(StackError);
    await expect(service.start(() => {})).rejects.toThrow(`redis: port ${port} on 127.0.0.1 is already taken`);
    squatter.close();
  });
});
