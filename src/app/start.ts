// Runs the requested roles in this process. `all` shares one process, hence one chDB engine (chDB allows one per data folder).
import { serve } from '@hono/node-server';
import type { Config } from '../config.ts';
import { createLogger } from '../infra/logger.ts';
import { createShutdown } from '../infra/shutdown.ts';
import { startTracing } from '../infra/tracing.ts';
import { createHttpApp } from './http.ts';

export const ROLES = ['edge', 'worker', 'sink', 'bulk'] as const;
export type Role = (typeof ROLES)[number];

export function parseRoles(requested: string[]): Role[] {
  const roles = new Set<Role>();
  for (const r of requested) {
    if (r === 'all') ROLES.forEach((x) => roles.add(x));
    else if ((ROLES as readonly string[]).includes(r)) roles.add(r as Role);
    else throw new Error(`unknown role "${r}": choose from ${ROLES.join(', ')}, all`);
  }
  return [...roles];
}

export async function startRoles(cfg: Config, requested: string[], _opts: { concurrency?: number } = {}): Promise<void> {
  const roles = parseRoles(requested);
  const logger = createLogger(cfg);
  const shutdown = createShutdown(logger);
  shutdown.onSignals();
  const tracing = startTracing(cfg);
  shutdown.add('tracing', tracing.stop);

  const app = createHttpApp({ logger });
  const server = serve({ fetch: app.fetch, hostname: cfg.HTTP_HOST, port: cfg.HTTP_PORT });
  shutdown.add('http', () => new Promise<void>((resolve) => server.close(() => resolve())));

  const pending = roles.filter((r) => r !== 'edge');
  logger.info({ roles, http: `http://${cfg.HTTP_HOST}:${cfg.HTTP_PORT}`, notYetBuilt: pending }, 'inflow started');
}
