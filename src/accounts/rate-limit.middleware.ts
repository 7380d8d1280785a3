// Per-account rate limit in Redis: a fixed one-minute window per tenant (INCR + PEXPIRE in one round trip).
// Runs after authenticate(), so the account is known. Headers follow the IETF RateLimit draft + Retry-After on 429.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../infra/logger.ts';
import type { Redis } from '../infra/redis.ts';
import { rateLimited } from './accounts.metrics.ts';
import { ApiError } from './api-errors.ts';

export interface RateLimitOptions {
  limit: number;
  windowMs?: number;
  /** Key namespace, so tests and separate limits do not share counters. */
  prefix?: string;
}

export function rateLimit(deps: { redis: Redis; logger?: Logger }, { limit, windowMs = 60_000, prefix = 'inflow:rl' }: RateLimitOptions): MiddlewareHandler {
  return async function rateLimitMiddleware(c, next) {
    const tenantId = c.get('principal').tenantId;
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    let count: number;
    try {
      const res = await deps.redis.multi().incr(`${prefix}:${tenantId}:${window}`).pexpire(`${prefix}:${tenantId}:${window}`, windowMs * 2).exec();
      count = Number(res?.[0]?.[1] ?? 0);
    } catch (err) {
      // Fail open: a Redis outage should not take the API down with it; the limit is protection, not billing.
      deps.logger?.warn({ err, tenant_id: tenantId }, 'rate limit unavailable, request allowed');
      return next();
    }
    const headers = {
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': String(Math.max(0, limit - count)),
      'RateLimit-Reset': String(resetSeconds),
    };
    if (count > limit) {
      rateLimited.inc();
      const message = `rate limit of ${limit} requests per ${windowMs / 1000} s exceeded for this account`;
      throw new ApiError(429, 'RATE_LIMITED', message, { limit, reset_seconds: resetSeconds }, { ...headers, 'Retry-After': String(resetSeconds) });
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
  };
}
