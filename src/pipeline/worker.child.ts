// One process of the worker pool (forked by worker.pool.ts): one consumer (createWorker, concurrency 1) in the group,
// answering the parent over IPC (pause, resume, status, metrics, stop). It stops gracefully — in-flight batch finished
// and committed, group left, connections closed — on `stop`, on SIGTERM, or when the parent goes away.
import { config } from '../config.ts';
import { createKafka } from '../infra/kafka.ts';
import { createLogger } from '../infra/logger.ts';
import { metricsRegistry } from '../infra/metrics.ts';
import { createPostgres } from '../infra/postgres.ts';
import { createRedis } from '../infra/redis.ts';
import { createShutdown } from '../infra/shutdown.ts';
import { startTracing } from '../infra/tracing.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { createWorker } from './worker.ts';
import { childClientId, workerMetricDefs, workerOptionsFrom, type ChildInit, type ChildMessage, type ChildRequest } from './worker.pool.ts';

const init = JSON.parse(process.argv[2] ?? '{}') as ChildInit;
const cfg = config();
const logger = createLogger(cfg).child({ worker: init.index, pid: process.pid });
const shutdown = createShutdown(logger);
const tracing = startTracing(cfg);
shutdown.add('tracing', tracing.stop);
const sql = createPostgres(cfg, { applicationName: `inflow-worker-${init.index}`, max: cfg.WORKER_PARTITIONS_PER_CONSUMER + 2 }); // a transaction per partition in flight, maintenance, spare
shutdown.add('postgres', () => sql.end({ timeout: 5 }));
const redis = createRedis(cfg);
shutdown.add('redis', () => void redis.disconnect());
const kafka = createKafka(cfg, logger, childClientId(cfg.KAFKA_CLIENT_ID, init.index, process.pid));
const worker = createWorker(
  { kafka, sql, redis, registry: createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL), logger },
  { ...workerOptionsFrom(cfg), concurrency: 1, faultPoint: init.faultPoint },
);
shutdown.add('worker', () => worker.stop());

const names = new Set(workerMetricDefs().map((m) => m.name)); // the parent aggregates these; process metrics stay here
const send = (m: ChildMessage) => process.send?.(m);
let exiting: Promise<void> | undefined;
function exit(reason: string): Promise<void> {
  exiting ??= (async () => {
    setTimeout(() => process.exit(1), 14_000).unref(); // a hung close must still end the process (the parent SIGKILLs at 12 s)
    await shutdown.run(reason);
    process.exit(0);
  })();
  return exiting;
}

process.on('message', (req: ChildRequest) => {
  const reply = (value: unknown) => send({ type: 'reply', id: req.id, value });
  if (req.op === 'pause') reply((worker.pause(), true));
  else if (req.op === 'resume') reply((worker.resume(), true));
  else if (req.op === 'status') reply(worker.status());
  else if (req.op === 'metrics') void metricsRegistry.getMetricsAsJSON().then((all) => reply(all.filter((m) => names.has(m.name))));
  else if (req.op === 'stop') void (reply(true), exit('stop from the pool'));
});
process.on('SIGINT', () => {}); // Ctrl-C reaches the whole process group: the parent coordinates the stop
process.once('SIGTERM', () => void exit('SIGTERM'));
process.once('disconnect', () => void exit('the pool parent is gone'));

if (init.paused) worker.pause(); // the pool is paused: start as a member, hold every batch until resumed
await worker.start();
send({ type: 'ready' });
