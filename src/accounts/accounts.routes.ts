// Where the accounts routers are mounted: /v1 plus the seed compatibility paths (seed 002 /api/auth, seed 004 /auth).
import type { Hono } from 'hono';
import type { ApiDeps } from './api.deps.ts';
import { createApiKeysRouter } from './api-keys.route.ts';
import { createAuthRouter } from './auth.route.ts';
import { createUsersRouter } from './users.route.ts';

export function accountsRoutes(deps: ApiDeps): [string, Hono][] {
  const auth = createAuthRouter(deps, deps);
  return [
    ['/v1/auth', auth],
    ['/auth', auth], // seed 004
    ['/api/auth', auth], // seed 002
    ['/v1/users', createUsersRouter(deps, deps)],
    ['/v1/api-keys', createApiKeysRouter(deps, deps)],
  ];
}
