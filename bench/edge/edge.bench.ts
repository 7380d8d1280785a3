// Edge benchmark, all in one run on the same machine:
//   1. HTTP ceiling: a bare Hono route (bench/edge/bare.server.ts), single-event bodies
//   2. the edge (`inflow start edge`), single-event POST /v1/events
//   3. the edge, 100-event POST /v1/events
//   4. the edge, single events at 70% of (2)'s max rate: p99 at a sustainable load
//   5. broker ceiling: Kafka's own ProducerPerformance (acks=all, 300-byte records) from the same jars, once after
//      each batched run (3), the best taken as for the edge
// Reproduce: flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/edge/edge.bench.ts [--duration 10] [--processes N] [--connections 32,64,128]
// --processes N (default: one per core): the edge runs as N processes (EDGE_PROCESSES) and the bare Hono ceiling as N
// processes too. --connections: each maximum is the best over these closed-loop connection counts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { loadConfig, PROJECT_ROOT } from '../../src/config.ts';
import { createKafka, ensureTopics, loadTopicDefinitions } from '../../src/infra/kafka.ts';
import { createPostgres } from '../../src/infra/postgres.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { registerSchemas } from '../../src/schemas/schema-files.ts';
import { deleteBenchTenants, deleteBenchTopics } from '../bench.cleanup.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const DURATION = Number(arg('duration', '10')); // seconds per autocannon run
// Closed-loop maxima are taken over a sweep of connection counts, for the bare route and the edge alike: the bare route
// is CPU-bound at 32 already, while an edge request waits for the broker's ack (acks=all), so its rate is
// connections / latency until the CPU runs out. One count would measure the edge's latency, not its capacity.
const CONNECTIONS = arg('connections', '32,64,128').split(',').map(Number).filter((n) => n > 0);
const PERF_RECORDS = Number(arg('perf-records', '500000'));
// edge processes, and bare-route processes (the ratio compares like with like); default one per core, as deployed
const PROCESSES = Number(arg('processes', String(availableParallelism())));
const BARE_PORT = 3901;
const EDGE_PORT = 3902;
const cfg = loadConfig(process.env);
const tenant = `bench-edge-${Date.now().toString(36)}`;
// The edge produces to topics of its own (deleted at the end): a run sends millions of events, which the shared
// crm.events would keep for its 7-day retention.
const PREFIX = `${tenant}.`;

let seq = 0;
function event(): Record<string, unknown> {
  seq++;
  return {
    type: 'lead.created',
    entity_id: `${tenant}-lead-${seq}`,
    occurred_at: Date.now(),
    consent: true,
    data: { first_name: 'Ada', last_name: 'Lovelace', email: `ada${seq}@example.com`, phone: '+371123456789', utm_source: 'newsletter', utm_campaign: 'spring-2026', click_id: `c${seq}`, country: 'LV' },
  };
}
const singleBodies = Array.from({ length: 5_000 }, () => JSON.stringify(event()));
const batchBodies = Array.from({ length: 200 }, () => JSON.stringify({ events: Array.from({ length: 100 }, event) }));

function start(cmd: string, argv: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(cmd, argv, { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250)); // polling a server that is starting
    }
  }
  throw new Error(`${url} did not come up`);
}

interface Run {
  name: string;
  connections: number;
  rps: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function cannon(name: string, url: string, bodies: string[], eventsPerRequest: number, headers: Record<string, string>, connections: number, rate?: number, duration = DURATION): Promise<Run> {
  let i = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration,
    ...(rate ? { overallRate: rate } : {}),
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  const ok = result.requests.total - result.non2xx;
  const run: Run = {
    name,
    connections,
    rps: result.requests.average,
    eventsPerSec: (ok * eventsPerRequest) / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  console.log(`${`${name}, ${connections} conn.`.padEnd(44)} ${run.rps.toFixed(0).padStart(7)} req/s ${run.eventsPerSec.toFixed(0).padStart(8)} events/s  p50 ${run.p50} ms  p99 ${run.p99} ms  non-2xx ${run.non2xx}  errors ${run.errors}`);
  return run;
}

async function producerPerf(topic: string): Promise<{ recordsPerSec: number; p99: number; line: string }> {
  const jars = path.join(cfg.dataDir, 'vendor', 'kafka', '*');
  const { stdout } = await promisify(execFile)(
    'java',
    ['-cp', jars, 'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(PERF_RECORDS), '--record-size', '300', '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${cfg.KAFKA_BROKERS}`, 'acks=all'],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  const rate = /([\d.]+) records\/sec/.exec(line);
  const p99 = /([\d.]+) ms 99th/.exec(line);
  console.log(`${'broker ceiling (ProducerPerformance)'.padEnd(44)} ${line}`);
  return { recordsPerSec: Number(rate?.[1] ?? 0), p99: Number(p99?.[1] ?? 0), line };
}

const children: ChildProcess[] = [];
try {
  const sql = createPostgres(cfg, { max: 1 });
  const { key } = await createApiKey(sql, { tenantId: tenant, scopes: ['ingest'], name: 'bench' });
  await sql.end();
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const perfTopic = `${PREFIX}bench.edge.producer-perf`;
  await ensureTopics(admin, loadTopicDefinitions(), PREFIX);
  await ensureTopics(admin, [{ name: perfTopic, partitions: 6, retention_ms: 3_600_000, cleanup_policy: 'delete' }]); // same partitions as crm.events
  await admin.disconnect();
  await registerSchemas(createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL), PREFIX);

  children.push(start(process.execPath, ['--import', 'tsx', 'bench/edge/bare.server.ts', String(BARE_PORT), String(PROCESSES)], {}));
  children.push(
    start(process.execPath, ['bin/inflow.mjs', 'start', 'edge'], {
      HTTP_PORT: String(EDGE_PORT),
      KAFKA_TOPIC_PREFIX: PREFIX,
      LOG_LEVEL: 'warn',
      EDGE_PROCESSES: String(PROCESSES),
      EDGE_RATE_LIMIT_PER_S: '1000000', // the benchmark measures throughput, not the limiter
      EDGE_RATE_LIMIT_BURST: '1000000',
    }),
  );
  await waitHttp(`http://127.0.0.1:${BARE_PORT}/`);
  await waitHttp(`http://127.0.0.1:${EDGE_PORT}/health`);
  const auth = { authorization: `Bearer ${key}` };
  // Warm-up: JIT, producer connection, schema id, API key cache.
  await cannon('warm-up (edge, 3 s)', `http://127.0.0.1:${EDGE_PORT}/v1/events`, singleBodies, 1, auth, CONNECTIONS[0]!, undefined, 3);

  // Warm-up of every edge process: connections are spread over them, so one more short run.
  if (PROCESSES > 1) await cannon('warm-up (edge, 3 s)', `http://127.0.0.1:${EDGE_PORT}/v1/events`, batchBodies, 100, auth, CONNECTIONS[0]!, undefined, 3);
  const loadAverage = loadavg()[0]!;
  console.log(`\nedge benchmark: ${DURATION} s per run, ${CONNECTIONS.join('/')} connections (best of each), ${PROCESSES} edge process(es) and ${PROCESSES} bare-route process(es), ${new Date().toISOString()}, load average ${loadAverage.toFixed(2)}`);
  type Target = { name: string; url: string; bodies: string[]; eventsPerRequest: number; headers: Record<string, string> };
  const best = (runs: Run[]) => runs.reduce((a, b) => (b.eventsPerSec > a.eventsPerSec ? b : a));
  /** Every target at each count in turn (bare, edge, bare, edge, ...): a machine whose speed drifts during the run
   *  shifts both sides of a ratio alike, instead of whichever ran second. */
  const sweep = async (targets: Target[]): Promise<{ best: Run; runs: Run[] }[]> => {
    const runs = targets.map(() => [] as Run[]);
    for (const c of CONNECTIONS) {
      for (const [i, t] of targets.entries()) runs[i]!.push(await cannon(t.name, t.url, t.bodies, t.eventsPerRequest, t.headers, c));
    }
    return runs.map((r) => ({ best: best(r), runs: r }));
  };
  const [bareSweep, singleSweep] = await sweep([
    { name: 'bare Hono route, 1 event', url: `http://127.0.0.1:${BARE_PORT}/bare`, bodies: singleBodies, eventsPerRequest: 1, headers: {} },
    { name: 'edge /v1/events, 1 event', url: `http://127.0.0.1:${EDGE_PORT}/v1/events`, bodies: singleBodies, eventsPerRequest: 1, headers: auth },
  ]) as [{ best: Run; runs: Run[] }, { best: Run; runs: Run[] }];
  // The batched edge and the broker ceiling alternate the same way, one ProducerPerformance run after each batched
  // count, and each side is its best: the broker's own rate moved 128k-263k records/s between runs of one evening.
  const batchRuns: Run[] = [];
  const brokerRuns: Awaited<ReturnType<typeof producerPerf>>[] = [];
  for (const c of CONNECTIONS) {
    batchRuns.push(await cannon('edge /v1/events, 100 events', `http://127.0.0.1:${EDGE_PORT}/v1/events`, batchBodies, 100, auth, c));
    brokerRuns.push(await producerPerf(perfTopic));
  }
  const batchSweep = { best: best(batchRuns), runs: batchRuns };
  const broker = brokerRuns.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));
  const [bare, single, batch] = [bareSweep.best, singleSweep.best, batchSweep.best];
  // The paced run offers 70% of the best single rate over the fewest connections that carried that much closed-loop:
  // autocannon paces each connection by a per-second quota, so surplus connections only add bursts at each tick.
  const target = Math.floor(single.rps * 0.7);
  const pacedConnections = singleSweep.runs.find((r) => r.rps >= target)?.connections ?? single.connections;
  const paced = await cannon('edge 1 event at 70% of max', `http://127.0.0.1:${EDGE_PORT}/v1/events`, singleBodies, 1, auth, pacedConnections, target);

  const singleRatio = single.rps / bare.rps;
  const batchRatio = batch.eventsPerSec / broker.recordsPerSec;
  const summary = [
    `single-event edge / bare Hono:          ${(singleRatio * 100).toFixed(1)}%  (goal >= 40%)  best ${single.rps.toFixed(0)} req/s at ${single.connections} vs ${bare.rps.toFixed(0)} at ${bare.connections} connections`,
    `batched edge events/s / producer-perf:  ${(batchRatio * 100).toFixed(1)}%  (goal >= 50%)  best ${batch.eventsPerSec.toFixed(0)} events/s at ${batch.connections} connections vs ${broker.recordsPerSec.toFixed(0)} records/s (best of ${brokerRuns.map((b) => b.recordsPerSec.toFixed(0)).join(', ')})`,
    `p99 at 70% of max single-event rate:    ${paced.p99} ms  (goal <= 50 ms)  ${paced.rps.toFixed(0)} req/s offered over ${paced.connections} connections`,
  ];
  console.log(`\n${summary.join('\n')}`);
  const command = `flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/edge/edge.bench.ts --duration ${DURATION} --connections ${CONNECTIONS.join(',')} --processes ${PROCESSES}`;
  console.log(`\nreproduce: ${command}`);
  const report = { at: new Date().toISOString(), durationS: DURATION, connections: CONNECTIONS, processes: PROCESSES, loadAverage, runs: [...bareSweep.runs, ...singleSweep.runs, ...batchSweep.runs, paced], best: { bare, single, batch }, broker, brokerRuns: brokerRuns.map((b) => b.recordsPerSec), ratios: { singleRatio, batchRatio, pacedP99: paced.p99 }, command };
  writeFileSync(path.join(PROJECT_ROOT, 'bench', 'edge', 'last-run.json'), `${JSON.stringify(report, null, 2)}\n`);
} finally {
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 10_000).unref();
  })));
  await deleteBenchTopics(createKafka(cfg), [PREFIX]);
  const sql = createPostgres(cfg, { max: 1 });
  await deleteBenchTenants(sql, tenant);
  await sql.end();
}
