// The api role: accounts, contacts, analytics and bulk-action APIs. Each area adds its routers to the list below
// (one line each); `api` carries the shared clients and `api.access(scope)`, the one auth + role + rate-limit check.
import { accountsRoutes } from '../accounts/accounts.routes.ts';
import { createApiDeps } from '../accounts/api.deps.ts';
import { analyticsRoutes } from '../analytics/analytics.routes.ts';
import { bulkRoutes } from '../bulk/bulk.routes.ts';
import { contactsRoutes } from '../contacts/contacts.routes.ts';
import type { StartRole } from './role.ts';

const start: StartRole = async ({ cfg, logger, shutdown, http, clickhouse }) => {
  const api = await createApiDeps(cfg, logger, shutdown);
  const mounts = [
    ...accountsRoutes(api), // /v1/auth /auth /api/auth /v1/users /v1/api-keys
    ...contactsRoutes(api), // /v1/contacts /contacts /api/contacts
    ...analyticsRoutes(api, clickhouse(), cfg), // /v1/analytics, /v1/admin/sql (ANALYTICS_SQL_ENDPOINT=on)
    ...bulkRoutes(api, clickhouse, cfg), // /v1/bulk-actions /bulk-actions (planner and executors run in the bulk role)
  ];
  for (const [path, router] of mounts) http.route(path, router);
  await api.relay.start(); // the contacts outbox -> crm.changes + crm.outcomes
  logger.info({ routes: mounts.map(([p]) => p) }, 'api role started');
};
export default start;
