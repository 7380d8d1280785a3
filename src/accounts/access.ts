// The one access check every accounts/contacts route uses: authenticate (API key or JWT, scope = the route's
// permission), then the per-account rate limit. Roles map to scopes in auth.middleware.ts (ROLE_SCOPES).
import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import type { Logger } from '../infra/logger.ts';
import type { Redis } from '../infra/redis.ts';
import type { ApiKeyVerifier, Scope } from './api-keys.ts';
import { authenticate, type TokenVerifier } from './auth.middleware.ts';
import { rateLimit, type RateLimitOptions } from './rate-limit.middleware.ts';

export type Access = (scope: Scope) => MiddlewareHandler;

export function createAccess(deps: { apiKeys: ApiKeyVerifier; tokens: TokenVerifier; redis: Redis; logger?: Logger }, limits: RateLimitOptions): Access {
  const limiter = rateLimit(deps, limits);
  const byScope = new Map<Scope, MiddlewareHandler>();
  return (scope) => {
    let handler = byScope.get(scope);
    if (!handler) {
      handler = every(authenticate({ apiKeys: deps.apiKeys, tokens: deps.tokens, scope }), limiter);
      byScope.set(scope, handler);
    }
    return handler;
  };
}
