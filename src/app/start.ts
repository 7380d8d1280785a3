// Runs the requested roles in one process. `all` shares one process, hence one chDB engine and one HTTP port.
import { serve } from '@hono/node-server';
import type { Config } from '../config.ts';
import { isEdgeClusterPrimary, runEdgeCluster } from '../edge/edge.cluster.ts';
import { createClickHouse, type ClickHouseClient } from '../infra/clickhouse.ts';
import { createLogger } from '../infra/logger.ts';
import { createShutdown } from '../infra/shutdown.ts';
import { migrateClickHouse } from '../migrate/clickhouse.migrate.ts';
import { startTracing } from '../infra/tracing.ts';
import { createHttpApp } from './http.ts';
import type { StartRole } from './role.ts';

/** Each role lives beside its stage of the data flow; modules load only when their role runs. */
const ROLE_MODULES: Record<string, () => Promise<{ default: StartRole }>> = {
  edge: () => import('../edge/edge.role.ts'),
  api: () => import('./api.role.ts'),
  worker: () => import('../pipeline/worker.role.ts'),
  sink: () => import('../analytics/sink.role.ts'),
  bulk: () => import('../bulk/bulk.role.ts'),
};
export const ROLES = Object.keys(ROLE_MODULES);
const CLICKHOUSE_ROLES = ['api', 'sink']; // bulk executors write outcomes to Kafka; the api role reads their logs

export function parseRoles(requested: string[]): string[] {
  const roles = new Set<string>();
  for (const r of requested) {
    if (r === 'all') ROLES.forEach((x) => roles.add(x));
    else if (ROLES.includes(r)) roles.add(r);
    else throw new Error(`unknown role "${r}": choose from ${ROLES.join(', ')}, all`);
  }
  return [...roles];
}

export async function startRoles(cfg: Config, requested: string[], options: { concurrency?: number } = {}): Promise<void> {
  const roles = parseRoles(requested);
  const logger = createLogger(cfg);
  if (isEdgeClusterPrimary(cfg, roles)) return runEdgeCluster(cfg, logger); // EDGE_PROCESSES > 1: fork the edges
  const shutdown = createShutdown(logger);
  shutdown.onSignals();
  const tracing = startTracing(cfg);
  shutdown.add('tracing', tracing.stop);

  let clickhouse: ClickHouseClient | undefined;
  const http = createHttpApp({ logger });
  const ctx = {
    cfg,
    logger,
    shutdown,
    http,
    options,
    clickhouse() {
      if (!clickhouse) {
        const client = createClickHouse(cfg);
        shutdown.add('clickhouse', () => client.close());
        clickhouse = client;
      }
      return clickhouse;
    },
  };

  // Roles that read or write ClickHouse get the DDL applied first (in embedded mode `inflow up` cannot
  // while this process holds the engine).
  if (roles.some((r) => CLICKHOUSE_ROLES.includes(r))) {
    const applied = await migrateClickHouse(ctx.clickhouse(), cfg.CLICKHOUSE_DATABASE);
    if (applied.length) logger.info({ applied }, 'clickhouse DDL applied');
  }

  for (const role of roles) {
    const { default: start } = await ROLE_MODULES[role]!();
    await start({ ...ctx, logger: logger.child({ role }) });
  }

  const server = serve({
    fetch: http.fetch,
    hostname: cfg.HTTP_HOST,
    port: cfg.HTTP_PORT,
    // Slow-loris protection: a client that trickles its headers or body is cut off.
    serverOptions: {
      headersTimeout: cfg.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: cfg.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: 1_000, // how often Node enforces the two timeouts above (its default is 30 s)
    },
  });
  // Closed first on shutdown: stop accepting, let in-flight requests finish, then the roles flush and disconnect.
  shutdown.add('http', () => new Promise<void>((resolve) => server.close(() => resolve())));
  logger.info({ roles, http: `http://${cfg.HTTP_HOST}:${cfg.HTTP_PORT}` }, 'inflow started');
}
