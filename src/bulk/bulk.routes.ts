// The bulk-actions API as the api role mounts it: [path, router] pairs like the other areas' routes.
import type { Hono } from 'hono';
import type { ApiDeps } from '../accounts/api.deps.ts';
import type { Config } from '../config.ts';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import { createBulkRouter } from './bulk.route.ts';
import { createRateLimiter } from './rate-limit.ts';

export function bulkRoutes(
  api: Pick<ApiDeps, 'sql' | 'redis' | 'apiKeys' | 'tokens' | 'logger'>,
  clickhouse: () => ClickHouseClient,
  cfg: Pick<Config, 'BULK_CHUNK_SIZE' | 'BULK_RATE_LIMIT_PER_SEC' | 'BULK_UPLOAD_MAX_BYTES' | 'CLICKHOUSE_DATABASE'>,
): [string, Hono][] {
  const router = createBulkRouter({ sql: api.sql, limiter: createRateLimiter(api.redis), clickhouse, cfg, logger: api.logger, apiKeys: api.apiKeys, tokens: api.tokens });
  return [['/', router]]; // the router carries its own paths: /v1/bulk-actions and /bulk-actions
}
