// `inflow start edge` with EDGE_PROCESSES > 1: node:cluster forks that many edge processes sharing HTTP_PORT (the
// primary accepts connections and hands them to the workers round-robin). Each worker is a whole edge with its own
// producer pool; rate limits and idempotency live in Redis, so they hold across processes. One Node process is
// CPU-bound on one core (JSON, Avro, kafkajs encoding), so this is how the edge uses more than one core.
import cluster from 'node:cluster';
import type { Config } from '../config.ts';
import type { Logger } from '../infra/logger.ts';

/** True in the primary of `inflow start edge` when EDGE_PROCESSES asks for several edge processes. */
export function isEdgeClusterPrimary(cfg: Pick<Config, 'EDGE_PROCESSES'>, roles: string[]): boolean {
  return cluster.isPrimary && cfg.EDGE_PROCESSES > 1 && roles.length === 1 && roles[0] === 'edge';
}

/** Forks the edge processes, replaces one that dies, and on SIGTERM/SIGINT stops them all (each drains) and exits. */
export function runEdgeCluster(cfg: Pick<Config, 'EDGE_PROCESSES'>, logger: Logger): void {
  let stopping = false;
  cluster.setupPrimary({ silent: false });
  for (let i = 0; i < cfg.EDGE_PROCESSES; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'edge process exited; starting another');
    setTimeout(() => cluster.fork(), 1_000).unref(); // not a tight loop if it keeps crashing
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const w of workers) w?.process.kill('SIGTERM'); // each one stops accepting, drains and flushes its producer
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  logger.info({ processes: cfg.EDGE_PROCESSES }, 'edge cluster started');
}
