// ANALYTICS_RETENTION_DAYS: the sink rewrites the TTL of the outcomes table and the views, once, without rewriting parts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRetention, RETENTION_TABLES } from '../../src/analytics/retention.ts';
import type { ClickHouseClient } from '../../src/infra/clickhouse.ts';
import { testClickHouse, testConfig } from '../support/helpers.ts';

const cfg = testConfig();
let ch: ClickHouseClient;
beforeAll(async () => {
  ch = await testClickHouse('analytics-retention', cfg);
});
afterAll(() => ch.close());

describe('retention', () => {
  it('sets the configured TTL on every table, and changes nothing when it is already set', async () => {
    const tables = Object.keys(RETENTION_TABLES);
    expect(await applyRetention(ch, cfg.CLICKHOUSE_DATABASE, 30)).toEqual(tables);
    const res = await ch.query({
      query: 'SELECT name, create_table_query AS ddl FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}',
      query_params: { db: cfg.CLICKHOUSE_DATABASE, names: tables },
      format: 'JSONEachRow',
    });
    const ddl = await res.json<{ name: string; ddl: string }>();
    expect(ddl).toHaveLength(tables.length);
    for (const t of ddl) expect(t.ddl).toContain('toIntervalDay(30)');
    expect(await applyRetention(ch, cfg.CLICKHOUSE_DATABASE, 30)).toEqual([]);
    expect(await applyRetention(ch, cfg.CLICKHOUSE_DATABASE, 400)).toEqual(tables);
  });
});
