// Bulk-action benchmark: N contacts updated by one raw SQL UPDATE, then the same rows by a bulk action
// (planner + executor processes, outcomes and changes to Kafka), with the stats endpoint polled during the run.
//   flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/bulk/bulk.bench.ts --contacts 1000000 --executors 2 --concurrency 2
// Runs against the test database (inflow_test) on topics of its own prefix.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { testEnv } from '../../test/support/test-env.ts';

Object.assign(process.env, testEnv());
const { PROJECT_ROOT } = await import('../../src/config.ts');
const { createBulkWorld } = await import('../../test/bulk/bulk.harness.ts');
const { topicName } = await import('../../src/infra/kafka.ts');

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000000' },
    executors: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '2' },
    chunk: { type: 'string', default: '1000' },
  },
});
const N = Number(args.contacts);
const chunk = Number(args.chunk);
const w = await createBulkWorld({ overrides: { BULK_CHUNK_SIZE: String(chunk) } });
const t = await w.tenant();
const log = (msg: string) => console.log(`[bulk-bench] ${msg}`);
const secs = (ms: number) => (ms / 1000).toFixed(2);

log(`seeding ${N} contacts for ${t.id}`);
let t0 = performance.now();
for (let i = 0; i < N; i += 250_000) {
  const n = Math.min(250_000, N - i);
  await w.sql`
    insert into contacts (tenant_id, id, first_name, last_name, email, country, owner_id, tags)
    select ${t.id}, 'c-' || lpad((g + ${i})::text, 8, '0'), 'First' || g, 'Last' || g, 'user' || (g + ${i}) || '@example.com', 'FR', 'owner-' || (g % 7), array['seed']
    from generate_series(1, ${n}) g -- bench.seed`;
}
await w.sql`vacuum analyze contacts`;
log(`seeded in ${secs(performance.now() - t0)} s`);

t0 = performance.now();
const raw = await w.sql`update contacts set title = 'raw', version = version + 1, updated_at = now() where tenant_id = ${t.id} and country = 'FR' -- bench.rawUpdate`;
const rawMs = performance.now() - t0;
log(`raw UPDATE of ${raw.count} rows: ${secs(rawMs)} s`);
await w.sql`vacuum analyze contacts`;

const children: ChildProcess[] = [];
const ports: number[] = [];
for (let i = 0; i < Number(args.executors); i++) {
  const port = 21_000 + Math.floor(Math.random() * 10_000);
  ports.push(port);
  children.push(
    spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'start', 'bulk'], {
      // chDB holds its folder exclusively: each bulk process gets its own (logs are not part of this bench)
      env: { ...process.env, KAFKA_TOPIC_PREFIX: w.prefix, HTTP_PORT: String(port), CHDB_PATH: path.join(PROJECT_ROOT, '.inflow', 'test', `chdb-bulk-bench-${i}`), BULK_EXECUTOR_CONCURRENCY: args.concurrency, BULK_PLANNER_INTERVAL_MS: '100', LOG_LEVEL: 'error' },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
}
// never leave an executor behind (it would hold the caller's flock and the consumer group)
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
// the API as the api role serves it (same router), over real HTTP, in this process; executors are the children
const apiPort = 31_000 + Math.floor(Math.random() * 5_000);
const server = serve({ fetch: w.app.fetch, hostname: '127.0.0.1', port: apiPort });
const statsUrl = (id: string) => `http://127.0.0.1:${apiPort}/v1/bulk-actions/${id}/stats`;
await w.waitFor('executors listening', async () => (await Promise.all(ports.map((p) => fetch(`http://127.0.0.1:${p}/health`).then((r) => r.ok, () => false)))).every(Boolean), 60_000, 250);
await new Promise((r) => setTimeout(r, 8_000)); // let the consumer group settle so the run measures work, not the join

const admin = w.kafka.admin();
await admin.connect();
const outcomesBefore = (await admin.fetchTopicOffsets(topicName(w.cfg, 'crm.outcomes'))).reduce((n, p) => n + Number(p.high), 0);

t0 = performance.now();
const res = await w.call('POST', '/v1/bulk-actions', t.key, {
  entity: 'contacts',
  action: 'update',
  target: { filter: { field: 'country', op: 'eq', value: 'FR' } },
  payload: { fields: { title: 'bulk' } },
});
const { id } = (await res.json()) as { id: string };
const latencies: number[] = [];
let final: Record<string, unknown> = {};
for (;;) {
  const s0 = performance.now();
  const r = await fetch(statsUrl(id), { headers: { authorization: `Bearer ${t.key}` } });
  final = (await r.json()) as Record<string, unknown>;
  latencies.push(performance.now() - s0);
  if (['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(String(final.status))) break;
  await new Promise((r2) => setTimeout(r2, 200));
}
const bulkMs = performance.now() - t0;
const [ledger] = await w.sql<{ first: Date; last: Date; max_ms: number; over_1s: number; p99_ms: number; chunks: number }[]>`
  select min(applied_at) as first, max(applied_at) as last, max(duration_ms) as max_ms, count(*) filter (where duration_ms > 1000)::int as over_1s,
         percentile_cont(0.99) within group (order by duration_ms) as p99_ms, count(*)::int as chunks
  from bulk_chunks where bulk_action_id = ${id}`;
const [truth] = await w.sql<{ n: number }[]>`select count(*)::int as n from contacts where tenant_id = ${t.id} and title = 'bulk' and version = 3`;
await new Promise((r) => setTimeout(r, 2_000));
const outcomes = (await admin.fetchTopicOffsets(topicName(w.cfg, 'crm.outcomes'))).reduce((n, p) => n + Number(p.high), 0) - outcomesBefore;
await admin.disconnect();
for (const c of children) c.kill('SIGTERM');
server.close();

latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
const report = {
  at: new Date().toISOString(),
  command: `npx tsx bench/bulk/bulk.bench.ts --contacts ${N} --executors ${args.executors} --concurrency ${args.concurrency} --chunk ${chunk}`,
  contacts: N,
  raw_update_s: rawMs / 1000,
  bulk_total_s: bulkMs / 1000,
  bulk_apply_window_s: (ledger!.last.getTime() - ledger!.first.getTime()) / 1000,
  ratio_bulk_over_raw: bulkMs / rawMs,
  bulk_rate_per_s: N / (bulkMs / 1000),
  chunks: ledger!.chunks,
  chunk_tx_max_ms: ledger!.max_ms,
  chunk_tx_p99_ms: ledger!.p99_ms,
  chunk_tx_over_1s: ledger!.over_1s,
  stats_requests: latencies.length,
  stats_p50_ms: pct(0.5),
  stats_p99_ms: pct(0.99),
  stats_max_ms: latencies[latencies.length - 1],
  final_stats: final,
  postgres_truth_updated: truth!.n,
  outcomes_produced: outcomes,
};
console.log(JSON.stringify(report, null, 2));
mkdirSync(path.join(PROJECT_ROOT, 'bench', 'bulk', 'reports'), { recursive: true });
writeFileSync(path.join(PROJECT_ROOT, 'bench', 'bulk', 'reports', `bulk-${N}-${report.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2));
await w.sql`delete from contacts where tenant_id = ${t.id} -- bench.cleanup`;
await w.close();
process.exit(0);
