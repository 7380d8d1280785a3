// Per-API-key rate limit, GCRA in one Redis script so every edge process shares the same budget.
// 429 with Retry-After and RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset (IETF draft headers).
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../infra/logger.ts';
import type { Redis } from '../infra/redis.ts';
import { rateLimited } from './edge.metrics.ts';

// KEYS[1] = bucket; ARGV = emission interval ms, burst. Uses the Redis clock so processes agree.
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local emission = tonumber(ARGV[1])
local tolerance = emission * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + emission
if new_tat - tolerance > now then
  return {0, 0, math.ceil(new_tat - tolerance - now), math.ceil(tat - now)}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return {1, math.floor((tolerance - (new_tat - now)) / emission), 0, math.ceil(new_tat - now)}`;

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}

export interface RateLimiter {
  take(bucket: string): Promise<RateLimitDecision>;
}

export function createRateLimiter(deps: { redis: Redis; logger: Logger }, options: { perSecond: number; burst: number }): RateLimiter {
  const emissionMs = 1000 / options.perSecond;
  const log = deps.logger.child({ module: 'edge.rate-limit' });
  // ioredis sends EVALSHA and falls back to EVAL itself after a Redis restart (NOSCRIPT).
  deps.redis.defineCommand('inflowGcra', { numberOfKeys: 1, lua: GCRA });
  const gcra = (...args: (string | number)[]) => (deps.redis as unknown as { inflowGcra(...a: (string | number)[]): Promise<unknown> }).inflowGcra(...args);
  return {
    async take(bucket) {
      try {
        const [allowed, remaining, retryAfterMs, resetMs] = (await gcra(`inflow:edge:rl:${bucket}`, emissionMs, options.burst)) as number[];
        return { allowed: allowed === 1, remaining: remaining ?? 0, retryAfterMs: retryAfterMs ?? 0, resetMs: resetMs ?? 0 };
      } catch (err) {
        // Fail open: a Redis outage must not stop ingestion; the broker still bounds the load.
        log.warn({ err }, 'redis unavailable: rate limit skipped');
        return { allowed: true, remaining: options.burst, retryAfterMs: 0, resetMs: 0 };
      }
    },
  };
}

/** Limits by the bucket `bucketOf` names (the API key id, a webhook source...). Runs after authentication. */
export function rateLimit(options: { limiter: RateLimiter; limit: number; bucketOf: (c: Context) => string }): MiddlewareHandler {
  return async function rateLimitMiddleware(c, next) {
    const d = await options.limiter.take(options.bucketOf(c));
    c.header('RateLimit-Limit', String(options.limit));
    c.header('RateLimit-Remaining', String(Math.max(0, d.remaining)));
    c.header('RateLimit-Reset', String(Math.ceil(d.resetMs / 1000)));
    if (!d.allowed) {
      rateLimited.inc();
      const retryAfter = String(Math.max(1, Math.ceil(d.retryAfterMs / 1000)));
      return c.json({ error: 'rate_limited', message: `too many requests; retry after ${retryAfter} s` }, 429, { 'Retry-After': retryAfter });
    }
    await next();
  };
}
