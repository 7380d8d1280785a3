// Bulk-action benchmark, one run (see bench/bulk/README.md):
//  1. N contacts seeded; one raw SQL UPDATE of them (title, version, updated_at: the columns a bulk update writes).
//  2. A bulk action updating the same rows (planner + executor processes, outcomes and changes to Kafka), its stats
//     endpoint polled over HTTP; chunk transaction durations from the ledger; CPU per process.
//  3. The raw UPDATE again on the table as the bulk action left it (same page layout and bloat): the fair baseline.
//  4. Unless --ingest-seconds 0: ingest (100-event batches through `inflow start edge worker`) alone, then while a
//     second bulk action over the same rows runs, then alone again; accepted and applied events/s compared.
//   flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/bulk/bulk.bench.ts --contacts 1000000
// Runs against the test database (inflow_test) on topics of its own prefix.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { testEnv } from '../../test/support/test-env.ts';
import { BENCH, children, cpuWindow, load1, randomPort, runBulk, spawnInflow, startIngest } from './bench.support.ts';

Object.assign(process.env, testEnv());
const { PROJECT_ROOT } = await import('../../src/config.ts');
const { createBulkWorld } = await import('../../test/bulk/bulk.harness.ts');
const { localServices } = await import('../../src/stack/stack.ts');

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000000' },
    executors: { type: 'string', default: '2' },
    concurrency: { type: 'string' }, // default: BULK_EXECUTOR_CONCURRENCY's default
    chunk: { type: 'string' }, // default: BULK_CHUNK_SIZE's default
    'ingest-seconds': { type: 'string', default: '30' }, // 0 skips the ingest phases
    'ingest-rate': { type: 'string', default: '0' }, // events/s; 0 = closed loop (as fast as the edge answers)
    'yield-lag': { type: 'string' }, // BULK_YIELD_INGEST_LAG for the executors (default: the config default; 0 = off)
    profile: { type: 'boolean', default: false }, // executors write V8 CPU profiles to bench/bulk/reports/prof
  },
});
const N = Number(args.contacts);
const ingestSeconds = Number(args['ingest-seconds']);
const ingestRate = Number(args['ingest-rate']);
const overrides: Record<string, string> = {};
if (args.chunk) overrides.BULK_CHUNK_SIZE = args.chunk;
if (args.concurrency) overrides.BULK_EXECUTOR_CONCURRENCY = args.concurrency;
if (args['yield-lag']) overrides.BULK_YIELD_INGEST_LAG = args['yield-lag'];
const w = await createBulkWorld({ overrides });
const t = await w.tenant();
const log = (msg: string) => console.log(`[bulk-bench] ${new Date().toISOString().slice(11, 19)} load ${load1()} ${msg}`);
const secs = (ms: number) => +(ms / 1000).toFixed(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

async function rawUpdate(title: string) {
  await w.sql`vacuum analyze contacts`; // the previous pass's dead rows and GIN pending lists cleared, as before a bulk run
  const load = load1();
  const s0 = performance.now();
  const r = await w.sql`update contacts set title = ${title}, version = version + 1, updated_at = now() where tenant_id = ${t.id} and country = 'FR' -- bench.rawUpdate`;
  const ms = performance.now() - s0;
  log(`raw UPDATE (${title}) of ${r.count} rows: ${secs(ms)} s`);
  return { s: secs(ms), rows: r.count, load1_before: load };
}
const raw1 = await rawUpdate('raw');

const cfgDefaults = w.cfg;
const concurrency = args.concurrency ?? String(cfgDefaults.BULK_EXECUTOR_CONCURRENCY);
const ports: number[] = [];
const executors = Array.from({ length: Number(args.executors) }, (_, i) => {
  const port = randomPort(21_000 + i * 5_000);
  ports.push(port);
  const prof = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROJECT_ROOT, 'bench', 'bulk', 'reports', 'prof')}`] : [];
  return spawnInflow(['bulk'], { KAFKA_TOPIC_PREFIX: w.prefix, HTTP_PORT: String(port), BULK_EXECUTOR_CONCURRENCY: concurrency, BULK_PLANNER_INTERVAL_MS: '100', ...overrides }, prof);
});
const ingestPort = randomPort(32_000);
const ingestProc = ingestSeconds > 0 ? spawnInflow(['edge', 'worker'], { KAFKA_TOPIC_PREFIX: w.prefix, HTTP_PORT: String(ingestPort) }) : undefined;
if (ingestProc) ports.push(ingestPort);
// the API as the api role serves it (same router), over real HTTP, in this process; executors are the children
const apiPort = randomPort(37_000);
const server = serve({ fetch: w.app.fetch, hostname: '127.0.0.1', port: apiPort });
const apiUrl = `http://127.0.0.1:${apiPort}`;
await w.waitFor('children listening', async () => (await Promise.all(ports.map((p) => fetch(`http://127.0.0.1:${p}/health`).then((r) => r.ok, () => false)))).every(Boolean), 90_000, 250);
await sleep(8_000); // let the consumer groups settle so the run measures work, not the join

const services = localServices(w.cfg);
const [pg, kafka] = await Promise.all([services.postgres.status(), services.kafka.status()]);
const cpuTargets = [
  ...(pg.pid ? [{ name: 'postgres', pid: pg.pid }] : []),
  ...(kafka.pid ? [{ name: 'kafka', pid: kafka.pid }] : []),
  ...executors.map((c, i) => ({ name: `bulk process ${i}`, pid: c.pid!, child: true })),
  ...(ingestProc ? [{ name: 'edge+worker', pid: ingestProc.pid!, child: true }] : []),
  { name: BENCH, pid: process.pid },
];

async function ledger(id: string) {
  const [l] = await w.sql<{ first: Date; last: Date; max_ms: number; over_1s: number; p50_ms: number; p99_ms: number; chunks: number }[]>`
    select min(applied_at) as first, max(applied_at) as last, max(duration_ms) as max_ms, count(*) filter (where duration_ms > 1000)::int as over_1s,
           percentile_cont(0.5) within group (order by duration_ms) as p50_ms, percentile_cont(0.99) within group (order by duration_ms) as p99_ms, count(*)::int as chunks
    from bulk_chunks where bulk_action_id = ${id} -- bench.ledger`;
  return { chunks: l!.chunks, apply_window_s: secs(l!.last.getTime() - l!.first.getTime()), chunk_tx_p50_ms: l!.p50_ms, chunk_tx_p99_ms: l!.p99_ms, chunk_tx_max_ms: l!.max_ms, chunk_tx_over_1s: l!.over_1s };
}

async function bulkRun(title: string, vacuumFirst = true, extraTargets: typeof cpuTargets = []) {
  if (vacuumFirst) await w.sql`vacuum analyze contacts`;
  const load = load1();
  const cpu = cpuWindow([...cpuTargets, ...extraTargets]);
  const run = await runBulk(apiUrl, t.key, { entity: 'contacts', action: 'update', target: { filter: { field: 'country', op: 'eq', value: 'FR' } }, payload: { fields: { title } } });
  const usage = cpu();
  log(`bulk action (${title}) ${run.final.status} in ${secs(run.ms)} s`);
  return { id: run.id, s: secs(run.ms), load1_before: load, load1_after: load1(), rate_per_s: Math.round(N / (run.ms / 1000)), ...(await ledger(run.id)), stats_endpoint: run.stats, cpu: usage, final_stats: run.final };
}

log('bulk action alone');
const bulk = await bulkRun('bulk');
const [truth] = await w.sql<{ n: number }[]>`select count(*)::int as n from contacts where tenant_id = ${t.id} and title = 'bulk' and version = 3`;
const raw2 = await rawUpdate('raw2');
const rawMean = (raw1.s + raw2.s) / 2;

let ingest: Record<string, unknown> | undefined;
if (ingestProc) {
  const it = await w.tenant(['ingest']);
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const applied = async () => (await w.sql<{ n: number }[]>`select count(*)::int as n from processed_events where tenant_id = ${it.id} -- bench.applied`)[0]!.n;
  let acceptedSoFar = 0;
  const drain = async () => {
    let last = -1;
    for (let still = 0; still < 10; ) {
      const n = await applied();
      if (n >= acceptedSoFar) return n;
      still = n === last ? still + 1 : 0;
      last = n;
      await sleep(1000);
    }
    log(`ingest did not drain: ${last} applied of ${acceptedSoFar} accepted`);
    return last;
  };
  /** Ingest for a window: warm-up 5 s, then accepted and applied counted until `until` resolves. */
  async function window(name: string, until: (loadTarget: typeof cpuTargets) => Promise<unknown>) {
    await w.sql`vacuum analyze contacts`;
    const load = load1();
    const load0 = startIngest(ingestUrl, it.key, 0, ingestRate);
    await sleep(5_000);
    const a0 = load0.last.accepted;
    const p0 = await applied();
    const s0 = performance.now();
    const loadTarget = [{ name: 'ingest load generator', pid: load0.pid, child: true }];
    const cpu = cpuWindow([...cpuTargets, ...loadTarget]);
    const extra = await until(loadTarget);
    const a1 = load0.last.accepted;
    const p1 = await applied();
    const s = (performance.now() - s0) / 1000;
    const usage = cpu();
    load0.stop();
    const done = await load0.done;
    acceptedSoFar += done.accepted;
    await drain();
    const res = { window_s: +s.toFixed(1), accepted_per_s: Math.round((a1 - a0) / s), applied_per_s: Math.round((p1 - p0) / s), http_errors: done.errors, load1_before: load, cpu: usage, ...(extra ? { bulk: extra } : {}) };
    log(`ingest ${name}: ${JSON.stringify({ accepted_per_s: res.accepted_per_s, applied_per_s: res.applied_per_s })}`);
    return res;
  }
  log(`ingest phases (${ingestRate ? `${ingestRate} events/s` : 'closed loop'})`);
  const alone1 = await window('alone', () => sleep(ingestSeconds * 1000));
  // The ingest window is the bulk action's run, capped at 2 x --ingest-seconds (a bulk action that yields to ingest
  // can outlast any window); the action then finishes without ingest and its total time is reported beside.
  let bulkDuring: ReturnType<typeof bulkRun> | undefined;
  const during = await window('during bulk', async () => {
    bulkDuring = bulkRun('bulk during ingest', false); // the window vacuumed before the ingest started
    const ended = await Promise.race([bulkDuring.then(() => true), sleep(2 * ingestSeconds * 1000).then(() => false)]);
    return { finished_inside_window: ended };
  });
  const { final_stats: _f, ...bulkDuringResult } = await bulkDuring!;
  const alone2 = await window('alone again', () => sleep(ingestSeconds * 1000));
  // a window whose edge+worker process was gone (exitCode set) measured nothing: the base is the other window
  const exitedWith = ingestProc.exitCode ?? ingestProc.signalCode;
  const base = (k: 'accepted_per_s' | 'applied_per_s') => (exitedWith !== null ? alone1[k] : (alone1[k] + alone2[k]) / 2);
  ingest = {
    mode: ingestRate ? `fixed ${ingestRate} events/s` : 'closed loop, 8 connections, 100-event batches',
    ...(exitedWith !== null ? { edge_worker_process_exited: String(exitedWith) } : {}),
    alone: alone1,
    during_bulk: during,
    bulk_during_ingest: bulkDuringResult,
    alone_again: alone2,
    drop_accepted: +(1 - during.accepted_per_s / base('accepted_per_s')).toFixed(3),
    drop_applied: +(1 - during.applied_per_s / base('applied_per_s')).toFixed(3),
  };
}

// SIGTERM and wait (a profiled child writes its profile on exit); the exit hook SIGKILLs any straggler
const exited = (c: (typeof children)[number]) => new Promise<void>((r) => {
  c.once('exit', () => r());
  c.kill('SIGTERM');
  setTimeout(r, 15_000);
});
await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map(exited));
server.close();

const report = {
  at: new Date().toISOString(),
  command: `npx tsx bench/bulk/bulk.bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
  contacts: N,
  chunk_size: Number(args.chunk ?? w.cfg.BULK_CHUNK_SIZE),
  executors: Number(args.executors),
  concurrency: Number(concurrency),
  yield_ingest_lag: Number(args['yield-lag'] ?? w.cfg.BULK_YIELD_INGEST_LAG),
  raw_update_before: raw1,
  raw_update_after: raw2,
  bulk_alone: bulk,
  ratio_bulk_over_raw_mean: +(bulk.s / rawMean).toFixed(3),
  ratio_bulk_over_raw_after: +(bulk.s / raw2.s).toFixed(3),
  postgres_truth_updated: truth!.n,
  ingest,
};
console.log(JSON.stringify(report, null, 2));
mkdirSync(path.join(PROJECT_ROOT, 'bench', 'bulk', 'reports'), { recursive: true });
writeFileSync(path.join(PROJECT_ROOT, 'bench', 'bulk', 'reports', `bulk-${N}-${report.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2));
await w.sql`delete from contacts where tenant_id = ${t.id} -- bench.cleanup`;
await w.sql`vacuum contacts`;
await w.close();
process.exit(0);
