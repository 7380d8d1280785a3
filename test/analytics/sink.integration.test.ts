// The sink end to end: Outcome records on a crm.outcomes topic of this test's own land in ClickHouse exactly once.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOutcomesSink, type OutcomesSink } from '../../src/analytics/outcomes.sink.ts';
import { batchToken, toRowLine } from '../../src/analytics/outcome.row.ts';
import { createOutcomesStore } from '../../src/analytics/outcomes.store.ts';
import type { ClickHouseClient } from '../../src/infra/clickhouse.ts';
import { createKafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createDecoder } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { schemaType } from '../../src/schemas/schema-files.ts';
import { testClickHouse, testConfig, unique } from '../support/helpers.ts';
import { outcomes, outcomesTopic } from './outcomes.fixture.ts';

const cfg = testConfig({ KAFKA_TOPIC_PREFIX: `${unique('t.sink')}.` });
const db = cfg.CLICKHOUSE_DATABASE;
let ch: ClickHouseClient;
let topic: Awaited<ReturnType<typeof outcomesTopic>>;

async function one<T>(query: string, query_params: Record<string, unknown> = {}): Promise<T> {
  const res = await ch.query({ query, query_params, format: 'JSONEachRow' });
  return (await res.json<T>())[0]!;
}

function sinkFor(groupId: string, store = createOutcomesStore(ch, db), maxRows = 1000): OutcomesSink {
  return createOutcomesSink(
    {
      kafka: createKafka(cfg),
      decoder: createDecoder(createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL), schemaType('outcome')),
      store,
      logger: createLogger(cfg),
    },
    { topic: topic.topic, groupId, maxRows, maxWaitMs: 200 },
  );
}

/** Resolves when the group has committed every offset the topic holds. */
async function drained(groupId: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const [end, committed] = await Promise.all([topic.endOffsets(), topic.committed(groupId)]);
      for (const [p, high] of end) expect(committed.get(p) ?? -1).toBe(high);
    },
    { timeout: 30_000, interval: 100 },
  );
}

beforeAll(async () => {
  ch = await testClickHouse('analytics-sink', cfg);
  topic = await outcomesTopic(cfg);
});
afterAll(async () => {
  await topic.close();
  await ch.close();
});

describe('outcomes sink', () => {
  it('lands every outcome once, views included, and commits exactly what it inserted', async () => {
    const tenant = unique('tenant');
    const data = outcomes(tenant, 2500);
    const reemitted = data.slice(0, 40); // a worker redelivery re-emits its original outcomes at new offsets
    await topic.produce(data);
    await topic.produce(reemitted);
    const groupId = unique('g.sink');
    const sink = sinkFor(groupId);
    await sink.start();
    await drained(groupId);
    await sink.stop();

    const raw = await one<{ rows: number; ids: number }>(`SELECT count() AS rows, uniqExact(outcome_id) AS ids FROM ${db}.outcomes WHERE tenant_id = {t:String}`, { t: tenant });
    expect(raw).toEqual({ rows: 2500, ids: 2500 });
    const views = await one<{ n: number }>(`SELECT sum(n) AS n FROM ${db}.outcomes_per_minute WHERE tenant_id = {t:String}`, { t: tenant });
    expect(views.n).toBe(2500);
    const dlq = await one<{ n: number }>(`SELECT sum(n) AS n FROM ${db}.dlq_reasons_per_minute WHERE tenant_id = {t:String}`, { t: tenant });
    expect(dlq.n).toBe(1000); // rejected + failed: 2 of every 5
    const latency = await one<{ n: number; q: number[] }>(
      `SELECT sum(n) AS n, quantilesMerge(0.5, 0.9, 0.99)(latency) AS q FROM ${db}.latency_per_minute WHERE tenant_id = {t:String}`,
      { t: tenant },
    );
    expect(latency.n).toBe(1000);
    const lat = await one<{ max: number; min: number }>(`SELECT max(latency_ms) AS max, min(latency_ms) AS min FROM ${db}.outcomes WHERE tenant_id = {t:String}`, { t: tenant });
    expect(lat).toEqual({ max: 100, min: 10 });
  });

  it('drops a repeated insert with the same deduplication token, in the table and in every view', async () => {
    const tenant = unique('tenant');
    const store = createOutcomesStore(ch, db);
    const lines = outcomes(tenant, 300).map((o, i) => toRowLine(o, { topic: 'x', partition: 9, offset: i }));
    const token = batchToken(unique('tok'), [{ partition: 9, first: 0, last: 299 }]);
    await store.insert(lines, token);
    await store.insert(lines, token); // a retry after a timeout that had in fact succeeded
    await store.insert(lines.slice(0, 10), unique('other')); // a different token is not dropped (held positions guard that case)
    const raw = await one<{ rows: number }>(`SELECT count() AS rows FROM ${db}.outcomes WHERE tenant_id = {t:String}`, { t: tenant });
    expect(raw.rows).toBe(310);
    const views = await one<{ n: number }>(`SELECT sum(n) AS n FROM ${db}.outcomes_per_minute WHERE tenant_id = {t:String}`, { t: tenant });
    expect(views.n).toBe(310);
    const positions = await store.positions('x', [9]);
    expect(positions.get(9)).toBe(299);
  });

  it('fills the bulk-action views: progress per status and the per-action log', async () => {
    const tenant = unique('tenant');
    const action = unique('bulk');
    const items = outcomes(tenant, 50, { kind: 'bulk', type: 'contact.update', bulk_action_id: action, reason: null }).map((o, i) => ({
      ...o, status: i < 45 ? 'succeeded' : 'failed', entity_id: `c-${String(i).padStart(3, '0')}`,
    }));
    const lines = items.map((o, i) => toRowLine(o, { topic: 'bulk', partition: 0, offset: i }));
    await createOutcomesStore(ch, db).insert(lines, batchToken(unique('bulk'), [{ partition: 0, first: 0, last: 49 }]));
    const res = await ch.query({
      query: `SELECT status, sum(n) AS n FROM ${db}.bulk_action_progress WHERE tenant_id = {t:String} AND bulk_action_id = {a:String} GROUP BY status ORDER BY status`,
      query_params: { t: tenant, a: action },
      format: 'JSONEachRow',
    });
    expect(await res.json()).toEqual([{ status: 'failed', n: 5 }, { status: 'succeeded', n: 45 }]);
    const page = await ch.query({
      query: `SELECT entity_id FROM ${db}.bulk_outcomes FINAL WHERE tenant_id = {t:String} AND bulk_action_id = {a:String} AND entity_id > {after:String} ORDER BY entity_id LIMIT 3`,
      query_params: { t: tenant, a: action, after: 'c-010' },
      format: 'JSONEachRow',
    });
    expect(await page.json()).toEqual([{ entity_id: 'c-011' }, { entity_id: 'c-012' }, { entity_id: 'c-013' }]);
  });

  it('pauses while ClickHouse refuses inserts and loses nothing once it accepts them again', async () => {
    const tenant = unique('tenant');
    const real = createOutcomesStore(ch, db);
    let refused = 0;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    // The real engine, made to refuse: the table is detached, so every insert fails inside ClickHouse.
    await ch.command({ query: `DETACH TABLE ${db}.outcomes` });
    const store = {
      positions: real.positions,
      async insert(lines: string[], token: string) {
        try {
          await real.insert(lines, token);
        } catch (err) {
          refused++;
          if (refused === 3) release();
          throw err;
        }
      },
    };
    const groupId = unique('g.sink');
    const sink = sinkFor(groupId, store);
    await sink.start();
    await topic.produce(outcomes(tenant, 1500));
    await released;
    const [end, committed] = await Promise.all([topic.endOffsets(), topic.committed(groupId)]);
    expect([...end].some(([p, high]) => (committed.get(p) ?? -1) < high)).toBe(true); // nothing past the failed insert is committed
    await ch.command({ query: `ATTACH TABLE ${db}.outcomes` });
    await drained(groupId);
    await sink.stop();
    const raw = await one<{ rows: number }>(`SELECT count() AS rows FROM ${db}.outcomes WHERE tenant_id = {t:String}`, { t: tenant });
    expect(raw.rows).toBe(1500);
    const views = await one<{ n: number }>(`SELECT sum(n) AS n FROM ${db}.outcomes_per_minute WHERE tenant_id = {t:String}`, { t: tenant });
    expect(views.n).toBe(1500);
  });
});
