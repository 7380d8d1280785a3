// Analytics endpoint latency at 1M and 10M outcome rows on embedded chDB (in-process requests, real API-key auth).
//   flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/analytics/api.bench.ts [--sizes 1000000,10000000] [--requests 200]
// Rows span the last 30 days over 4 tenants; the measured tenant holds half of them. Requests run one after another,
// so the figures are the latency of one request (Postgres key lookup cached, ClickHouse query, JSON shaping).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Hono } from 'hono';
import { createApiKey, createApiKeyVerifier } from '../../src/accounts/api-keys.ts';
import { authenticate } from '../../src/accounts/auth.middleware.ts';
import { createAnalyticsRouter } from '../../src/analytics/analytics.route.ts';
import { loadConfig, PROJECT_ROOT } from '../../src/config.ts';
import { createClickHouse } from '../../src/infra/clickhouse.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createPostgres } from '../../src/infra/postgres.ts';
import { migrateClickHouse } from '../../src/migrate/clickhouse.migrate.ts';
import { testEnv } from '../../test/support/test-env.ts';

const { values: args } = parseArgs({ options: { sizes: { type: 'string', default: '1000000,10000000' }, requests: { type: 'string', default: '200' } } });
const SIZES = args.sizes.split(',').map(Number);
const REQUESTS = Number(args.requests);
const chdbPath = path.join(PROJECT_ROOT, '.inflow', 'bench', 'chdb-api');
rmSync(chdbPath, { recursive: true, force: true });
const cfg = loadConfig({ ...process.env, ...testEnv(), LOG_LEVEL: 'warn', CHDB_PATH: chdbPath });
const ch = createClickHouse(cfg);
const sql = createPostgres(cfg, { max: 2 });
const apiKeys = createApiKeyVerifier(sql, { ttlMs: 3_600_000 });
const tenant = `bench-a-${Date.now()}`;
const key = (await createApiKey(sql, { tenantId: tenant, scopes: ['read'] })).key;
const DAY = 86_400_000;

const scenarios: [string, string][] = [
  ['throughput 24h step 1m', '/throughput?step=1m'],
  ['throughput 7d step 1h', `/throughput?from=${Date.now() - 7 * DAY}&step=1h`],
  ['outcomes by status 30d', `/outcomes?group_by=status&from=${Date.now() - 30 * DAY}`],
  ['outcomes by source 7d', `/outcomes?group_by=source&from=${Date.now() - 7 * DAY}`],
  ['latency 24h + 1h series', '/latency?step=1h'],
  ['latency 30d', `/latency?from=${Date.now() - 30 * DAY}`],
  ['dlq 7d step 1h', `/dlq?from=${Date.now() - 7 * DAY}&step=1h`],
];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const results: Record<string, unknown>[] = [];
for (const size of SIZES) {
  const db = `bench_api_${size}`;
  await migrateClickHouse(ch, db);
  const start = Date.now() - 30 * DAY;
  const spacing = (30 * DAY) / size;
  let t = performance.now();
  // In chunks of 1M rows: one INSERT ... SELECT per chunk, materialized views fill as they would from the sink.
  for (let off = 0; off < size; off += 1_000_000) {
    const n = Math.min(1_000_000, size - off);
    await ch.command({
      query: `INSERT INTO ${db}.outcomes (outcome_id, event_id, tenant_id, kind, type, source, status, reason, entity_type, entity_id, received_at, processed_at, attempt, utm_source, log_topic, log_partition, log_offset)
        SELECT toString(generateUUIDv4(number)), toString(number), if(number % 2 = 0, '${tenant}', concat('other-', toString(number % 3))), 'event',
          ['lead.created','contact.updated','opportunity.won','lead.converted'][number % 4 + 1], ['api','webhook','form'][number % 3 + 1],
          ['applied','applied','applied','applied','duplicate','stale','rejected','failed'][number % 8 + 1],
          multiIf(number % 8 = 6, ['invalid email','no_consent','bad phone'][number % 3 + 1], number % 8 = 7, 'apply_failed:57014', NULL),
          'lead', concat('lead-', toString(number % 100000)),
          fromUnixTimestamp64Milli(toInt64(${start} + number * ${spacing}), 'UTC'),
          fromUnixTimestamp64Milli(toInt64(${start} + number * ${spacing} + (number * 7919) % 400), 'UTC'), 1,
          ['google','facebook',NULL][number % 3 + 1], 'bench', toInt32(number % 6), toInt64(number)
        FROM numbers(${off}, ${n})`,
    });
  }
  const loadSeconds = (performance.now() - t) / 1000;
  const app = new Hono().route('/v1/analytics', createAnalyticsRouter({ clickhouse: ch, database: db, access: (scope) => authenticate({ apiKeys, scope }), logger: createLogger(cfg) }));
  const perScenario: Record<string, unknown> = {};
  for (const [name, url] of scenarios) {
    const times: number[] = [];
    for (let i = 0; i < REQUESTS + 10; i++) {
      t = performance.now();
      const res = await app.request(`/v1/analytics${url}`, { headers: { authorization: `Bearer ${key}` } });
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      if (i >= 10) times.push(performance.now() - t); // the first 10 warm caches
    }
    times.sort((a, b) => a - b);
    perScenario[name] = { p50: +pct(times, 50).toFixed(1), p90: +pct(times, 90).toFixed(1), p99: +pct(times, 99).toFixed(1), max: +times.at(-1)!.toFixed(1) };
  }
  results.push({ rows: size, tenantRows: size / 2, loadSeconds: +loadSeconds.toFixed(1), latencyMs: perScenario });
  console.log(JSON.stringify(results.at(-1), null, 2));
}
await sql.end();
await ch.close();
process.exit(0);
