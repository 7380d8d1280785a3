// The analytics routers for the api role: [path, router] pairs, mounted in src/app/api.role.ts.
import type { Hono } from 'hono';
import type { ApiDeps } from '../accounts/api.deps.ts';
import type { Config } from '../config.ts';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import { createAnalyticsRouter } from './analytics.route.ts';
import { createReadOnlyClickHouse } from './sql.runner.ts';
import { createSqlRouter } from './sql.route.ts';

export function analyticsRoutes(
  api: Pick<ApiDeps, 'access' | 'logger' | 'maxBodyBytes'>,
  clickhouse: ClickHouseClient,
  cfg: Pick<Config, 'CLICKHOUSE_URL' | 'CLICKHOUSE_DATABASE' | 'chdbPath' | 'ANALYTICS_SQL_ENDPOINT'>,
): [string, Hono][] {
  const logger = api.logger.child({ module: 'analytics' });
  const routes: [string, Hono][] = [['/v1/analytics', createAnalyticsRouter({ clickhouse, database: cfg.CLICKHOUSE_DATABASE, access: api.access, logger }, api)]];
  if (cfg.ANALYTICS_SQL_ENDPOINT === 'on') {
    let readOnly: Promise<ClickHouseClient> | undefined;
    routes.push(['/v1/admin/sql', createSqlRouter({ readOnly: () => (readOnly ??= createReadOnlyClickHouse(cfg)), access: api.access, logger })]);
  }
  return routes;
}
