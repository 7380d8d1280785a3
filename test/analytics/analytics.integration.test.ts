// The analytics API on a known data set: exact numbers, validated parameters, one tenant's rows only.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createApiKeyVerifier } from '../../src/accounts/api-keys.ts';
import { authenticate } from '../../src/accounts/auth.middleware.ts';
import { createAnalyticsRouter } from '../../src/analytics/analytics.route.ts';
import { batchToken, toRowLine } from '../../src/analytics/outcome.row.ts';
import { createOutcomesStore } from '../../src/analytics/outcomes.store.ts';
import type { ClickHouseClient } from '../../src/infra/clickhouse.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createPostgres, type Sql } from '../../src/infra/postgres.ts';
import { testClickHouse, testConfig, unique } from '../support/helpers.ts';
import { outcomes, T0 } from './outcomes.fixture.ts';

const cfg = testConfig();
let ch: ClickHouseClient;
let sql: Sql;
let app: Hono;
const tenantA = unique('tenant-a');
const tenantB = unique('tenant-b');
const keys: Record<string, string> = {};

const FROM = new Date(T0).toISOString(); // 10:00:00Z
const TO = new Date(T0 + 10 * 60_000).toISOString(); // 10:10:00Z: the 600 outcomes of A, one per second

async function get(path: string, key = keys.a): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.request(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  ch = await testClickHouse('analytics-api', cfg);
  sql = createPostgres(cfg, { max: 2 });
  const store = createOutcomesStore(ch, cfg.CLICKHOUSE_DATABASE);
  const a = outcomes(tenantA, 600);
  const b = outcomes(tenantB, 100, { status: 'rejected', reason: 'tenant b only' });
  const lines = [...a, ...b].map((o, i) => toRowLine(o, { topic: 'analytics-api', partition: 0, offset: i }));
  await store.insert(lines, batchToken(unique('analytics-api'), [{ partition: 0, first: 0, last: lines.length - 1 }]));
  keys.a = (await createApiKey(sql, { tenantId: tenantA, scopes: ['read'] })).key;
  keys.b = (await createApiKey(sql, { tenantId: tenantB, scopes: ['read'] })).key;
  keys.ingest = (await createApiKey(sql, { tenantId: tenantA, scopes: ['ingest'] })).key;
  const apiKeys = createApiKeyVerifier(sql);
  app = new Hono().route(
    '/v1/analytics',
    createAnalyticsRouter({ clickhouse: ch, database: cfg.CLICKHOUSE_DATABASE, access: (scope) => authenticate({ apiKeys, scope }), logger: createLogger(cfg) }),
  );
});
afterAll(async () => {
  await sql.end();
  await ch.close();
});

describe('GET /v1/analytics/throughput', () => {
  it('counts outcomes per step, every bucket present, per status', async () => {
    const { status, body } = await get(`/v1/analytics/throughput?from=${FROM}&to=${TO}&step=1m`);
    expect(status).toBe(200);
    const data = body.data as { t: string; total: number; by_status: Record<string, number> }[];
    expect(data).toHaveLength(10);
    expect(data.every((b) => b.total === 60)).toBe(true);
    expect(data[0]).toEqual({ t: FROM, total: 60, by_status: { applied: 24, duplicate: 12, failed: 12, rejected: 12 } });
  });

  it('accepts epoch milliseconds and coarser steps', async () => {
    const { body } = await get(`/v1/analytics/throughput?from=${T0}&to=${T0 + 3_600_000}&step=1h`);
    expect(body.data).toEqual([{ t: FROM, total: 600, by_status: { applied: 240, duplicate: 120, failed: 120, rejected: 120 } }]);
  });
});

describe('GET /v1/analytics/outcomes', () => {
  it.each([
    ['status', { applied: 240, duplicate: 120, rejected: 120, failed: 120 }],
    ['type', { 'lead.created': 200, 'contact.updated': 200, 'opportunity.won': 200 }],
    ['source', { api: 300, webhook: 300 }],
  ])('groups by %s', async (groupBy, expected) => {
    const { status, body } = await get(`/v1/analytics/outcomes?group_by=${groupBy}&from=${FROM}&to=${TO}`);
    expect(status).toBe(200);
    expect(body.total).toBe(600);
    const data = body.data as Record<string, string | number>[];
    expect(Object.fromEntries(data.map((r) => [r[groupBy], r.count]))).toEqual(expected);
  });
});

describe('GET /v1/analytics/latency', () => {
  it('gives p50, p90 and p99 of the applied outcomes, overall and per step', async () => {
    const { status, body } = await get(`/v1/analytics/latency?from=${FROM}&to=${TO}&step=5m`);
    expect(status).toBe(200);
    // applied = i % 5 in {0, 1}: latencies 10, 20, 60 and 70 ms, 60 of each
    expect(body).toMatchObject({ unit: 'ms', count: 240, p90: 70, p99: 70 });
    expect(body.p50).toBeGreaterThanOrEqual(20);
    expect(body.p50).toBeLessThanOrEqual(60);
    expect((body.series as { count: number }[]).map((s) => s.count)).toEqual([120, 120]);
  });
});

describe('GET /v1/analytics/dlq', () => {
  it('gives DLQ reasons over time and in total', async () => {
    const { status, body } = await get(`/v1/analytics/dlq?from=${FROM}&to=${TO}&step=1h`);
    expect(status).toBe(200);
    expect(body.total).toBe(240);
    expect(body.reasons).toEqual([
      { reason: 'invalid email', count: 120 },
      { reason: 'postgres timeout', count: 120 },
    ]);
  });
});

describe('tenancy and validation', () => {
  it("never shows tenant A another tenant's rows, nor B A's", async () => {
    const a = await get(`/v1/analytics/outcomes?from=${FROM}&to=${TO}`, keys.a);
    const b = await get(`/v1/analytics/outcomes?from=${FROM}&to=${TO}`, keys.b);
    expect(a.body.total).toBe(600);
    expect(b.body).toMatchObject({ total: 100, data: [{ status: 'rejected', count: 100 }] });
    const dlqA = await get(`/v1/analytics/dlq?from=${FROM}&to=${TO}`, keys.a);
    expect((dlqA.body.reasons as { reason: string }[]).map((r) => r.reason)).not.toContain('tenant b only');
  });

  it('refuses a missing credential (401) and one without the read scope (403)', async () => {
    expect((await get('/v1/analytics/outcomes', '')).status).toBe(401);
    expect((await get('/v1/analytics/outcomes', keys.ingest)).status).toBe(403);
  });

  it.each([
    ['/v1/analytics/outcomes?group_by=tenant_id', 'group_by'],
    ['/v1/analytics/outcomes?group_by=status;DROP TABLE outcomes', 'group_by'],
    [`/v1/analytics/throughput?from=${TO}&to=${FROM}`, 'from'],
    ['/v1/analytics/throughput?from=yesterday', 'from'],
    [`/v1/analytics/throughput?from=2020-01-01T00:00:00Z&to=${TO}&step=1m`, 'step'],
    ['/v1/analytics/throughput?step=7m', 'step'],
  ])('answers 400 naming the bad parameter for %s', async (path, field) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    const fields = ((body.error as { details: { fields: { field: string }[] } }).details.fields).map((f) => f.field);
    expect(fields).toContain(field);
  });
});
