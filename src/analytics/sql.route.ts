// POST /v1/admin/sql: `inflow sql` in embedded mode, when a running inflow process owns the chDB folder.
// Off unless ANALYTICS_SQL_ENDPOINT=on: the SQL sees every tenant's rows, so only admin credentials may use it,
// on a process an operator chose to expose it from. The query runs in a read-only session of its own.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Access } from '../accounts/access.ts';
import { ApiError, createApiRouter, jsonBody, parseWith } from '../accounts/api-errors.ts';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Logger } from '../infra/logger.ts';
import { runReadOnly, SqlRefusedError } from './sql.runner.ts';

const Body = z.object({ sql: z.string().min(1).max(100_000) });

export function createSqlRouter(deps: { readOnly: () => Promise<ClickHouseClient>; access: Access; logger: Logger }): Hono {
  const app = createApiRouter(deps, { maxBodyBytes: 200_000 });
  app.post('/', deps.access('admin'), async (c) => {
    const { sql } = parseWith(Body, await jsonBody(c));
    const principal = c.get('principal');
    deps.logger.info({ tenant_id: principal.tenantId, sql: sql.slice(0, 500) }, 'admin sql');
    try {
      return c.json(await runReadOnly(await deps.readOnly(), sql));
    } catch (err) {
      if (err instanceof SqlRefusedError) throw new ApiError(400, 'SQL_REFUSED', err.message);
      const code = (err as { code?: string }).code;
      if (code) throw new ApiError(400, 'SQL_ERROR', (err as Error).message, { clickhouse_code: code });
      throw err;
    }
  });
  return app;
}
