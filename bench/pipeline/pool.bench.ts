// Applied events/s of `inflow start worker` as users run it, by pool shape: a pre-loaded backlog of lead.created events
// drained by `--concurrency N` with WORKER_POOL=processes (N OS processes) or inline (N consumers in one process).
//   flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/pipeline/pool.bench.ts [--events 20000] [--runs processes:1,processes:2,inline:2] [--batch 500] [--warmup 0]
// Each run gets private topics and a tenant (test database, Redis db 1), exactly-once on, geoip on. Time runs from the
// first processed_events row (after the group join and the children's start) to the moment all N rows exist; the
// steady rate counts from 10 % to 90 % of the rows (after the joins, rebalances and JIT warm-up).
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureTenant } from '../../src/accounts/api-keys.ts';
import { loadConfig, PROJECT_ROOT } from '../../src/config.ts';
import { cpuBetween, cpuSnapshot, processTree } from './cpu.ts';
import { leads } from './lead.events.ts';
import { deleteBenchDedupKeys, deleteBenchTenants, deleteBenchTopics } from '../bench.cleanup.ts';
import { createKafka, ensureTopics, loadTopicDefinitions, topicName } from '../../src/infra/kafka.ts';
import { createPostgres } from '../../src/infra/postgres.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { encode } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { registerSchemas, schemaType, subjectFor } from '../../src/schemas/schema-files.ts';
import { DEFAULT_BATCH_SIZE } from '../../src/pipeline/worker.ts';
import { testEnv } from '../../test/support/test-env.ts';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '20000' }, runs: { type: 'string', default: 'processes:1,processes:2,inline:2' }, batch: { type: 'string', default: String(DEFAULT_BATCH_SIZE) }, warmup: { type: 'string', default: '0' } } });
const WARMUP = Number(args.warmup);
const N = Number(args.events);
const env = { ...process.env, ...testEnv(), LOG_LEVEL: 'warn' };
const cfg = loadConfig(env);
const sql = createPostgres(cfg, { max: 2 });
const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
const kafka = createKafka(cfg);
const run = randomUUID().slice(0, 8);


async function preload(prefix: string, tenant: string, n = N): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, loadTopicDefinitions(), prefix);
  await admin.disconnect();
  const topic = topicName({ KAFKA_TOPIC_PREFIX: prefix }, 'crm.events');
  const id = (await registerSchemas(registry, prefix))[subjectFor(topic)]!;
  const producer = kafka.producer();
  await producer.connect();
  const events = leads(tenant, n);
  const type = schemaType('crm-event');
  for (let i = 0; i < events.length; i += 2000) {
    await producer.send({ topic, acks: -1, messages: events.slice(i, i + 2000).map((e) => ({ key: `${e.tenant_id}:${e.entity_id}`, value: encode(type, id, e) })) });
  }
  await producer.disconnect();
}

const freePort = () => new Promise<number>((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const port = (srv.address() as net.AddressInfo).port;
    srv.close(() => resolve(port));
  });
});

async function drain(pool: string, concurrency: number, index: number) {
  const prefix = `bench-pool-${run}-${index}-${pool}${concurrency}.`;
  const tenant = `bench-pool-${run}-${index}-${pool}${concurrency}`;
  await ensureTenant(sql, tenant);
  const warmTenant = `${tenant}-warm`;
  if (WARMUP > 0) {
    await ensureTenant(sql, warmTenant);
    await preload(prefix, warmTenant, WARMUP);
  } else {
    await preload(prefix, tenant);
  }
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'start', 'worker', '--concurrency', String(concurrency)], {
    cwd: PROJECT_ROOT,
    env: { ...env, KAFKA_TOPIC_PREFIX: prefix, HTTP_PORT: String(await freePort()), WORKER_POOL: pool, WORKER_GEOIP: 'on', WORKER_BATCH_SIZE: args.batch },
    stdio: ['ignore', 2, 'inherit'], // the children's logs to stderr: stdout is the JSON report alone
  });
  const exited = new Promise((r) => child.once('exit', r));
  if (WARMUP > 0) {
    // --warmup: the pool drains a first backlog (group joins, V8's optimizing compiler), then is frozen (SIGSTOP, a
    // second or two: far inside the group's session timeout) while the measured backlog is loaded, and thawed
    const count = async (t: string) => (await sql<{ n: number }[]>`select count(*)::int as n from processed_events where tenant_id = ${t} -- bench.pool.count`)[0]!.n;
    while ((await count(warmTenant)) < WARMUP) await new Promise((r) => setTimeout(r, 100));
    const pids = [...processTree(cpuSnapshot(child.pid!))];
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      await preload(prefix, tenant);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
  }
  const load = os.loadavg()[0]!;
  let done = 0;
  let cpu0: ReturnType<typeof cpuSnapshot> | undefined;
  let cpuAt = 0;
  const marks: { at?: number; n?: number }[] = [{}, {}]; // first poll at >= 10 % and at >= 90 %: the steady-state rate
  for (;;) {
    const [c] = await sql<{ n: number }[]>`select count(*)::int as n from processed_events where tenant_id = ${tenant} -- bench.pool.count`;
    if (c!.n > 0 && !cpu0) [cpu0, cpuAt] = [cpuSnapshot(child.pid!), Date.now()];
    for (const [i, f] of [0.1, 0.9].entries()) if (c!.n >= f * N && !marks[i]!.at) marks[i] = { at: Date.now(), n: c!.n };
    if (c!.n >= N) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  done = Date.now();
  const cpu1 = cpuSnapshot(child.pid!);
  const cpu = cpuBetween(cpu0!, cpu1);
  // each process of the worker's tree (the supervisor, its children), in cores over the drain
  const perProcess = [...processTree(cpu1)].map((pid) => ({ pid, spent: cpu1.procs.get(pid)!.cpu - (cpu0!.procs.get(pid)?.cpu ?? 0) }));
  const [first] = await sql<{ at: Date; applied: number }[]>`
    select min(processed_at) as at, count(*) filter (where status = 'applied')::int as applied from processed_events where tenant_id = ${tenant} -- bench.pool.first`;
  child.kill('SIGTERM');
  await exited;
  const seconds = (done - first!.at.getTime()) / 1000;
  // CPU over the drain (from the first row seen to the last), in cores: 1.0 = one core busy the whole time
  const window = (done - cpuAt) / 1000;
  const cores = (spent: number) => Number((spent / window).toFixed(2));
  return {
    pool, concurrency, events: N, applied: first!.applied, seconds: Number(seconds.toFixed(2)), events_per_s: Math.round(N / seconds), load_avg_1m_at_start: load,
    steady_events_per_s: Math.round((marks[1]!.n! - marks[0]!.n!) / ((marks[1]!.at! - marks[0]!.at!) / 1000)), // 10 % -> 90 %: after the joins and JIT warm-up
    worker_cores: cores(cpu.tree), worker_cores_by_process: perProcess.map((p) => cores(p.spent)), postgres_cores: cores(cpu.postgres), java_cores: cores(cpu.java), box_busy_cores: cores(cpu.box),
  };
}

const results = [];
for (const [i, r] of args.runs.split(',').entries()) {
  const [pool, c] = r.split(':');
  results.push(await drain(pool!, Number(c), i));
  console.error(JSON.stringify(results.at(-1)));
}
console.log(JSON.stringify({ at: new Date().toISOString(), events: N, batch: Number(args.batch), warmup: WARMUP, cpus: os.cpus().length, results }, null, 2));
await deleteBenchTopics(kafka, [`bench-pool-${run}-`]);
await deleteBenchTenants(sql, `bench-pool-${run}-`);
const redis = createRedis(cfg);
await deleteBenchDedupKeys(redis, [`bench-pool-${run}-`]);
redis.disconnect();
await sql.end({ timeout: 5 });
process.exit(0);
