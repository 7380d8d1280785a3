// Per-API-key rate limit, GCRA in one Redis script so every edge process shares the same budget.
// 429 with Retry-After and RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset (IETF draft headers).
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../infra/logger.ts';
import type { Redis } from '../infra/redis.ts';
import { rateLimited } from './edge.metrics.ts';
import { reply, setReplyHeader } from './request.context.ts';

// KEYS[1] = bucket; ARGV = emission interval ms, burst, n. Uses the Redis clock so processes agree.
// GCRA for n requests at once: admits the first k <= n that fit (k may be 0) and returns k and how far the stored
// theoretical arrival time (TAT) was ahead of now before them, in ms (a string: Redis would truncate a float).
// With n = 1 this is plain GCRA: admitted iff tat + emission - tolerance <= now.
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local emission = tonumber(ARGV[1])
local tolerance = emission * tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local k = math.floor((now + tolerance - tat) / emission)
if k < 0 then k = 0 end
if k < n and tat + (k + 1) * emission - tolerance <= now then k = k + 1 end
if k > 0 and tat + k * emission - tolerance > now then k = k - 1 end
if k > n then k = n end
if k > 0 then
  local new_tat = tat + k * emission
  redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
end
return {k, tostring(tat - now)}`;

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}

export interface RateLimiter {
  take(bucket: string): Promise<RateLimitDecision>;
}

/**
 * The decision of each of n requests taken together, in arrival order, from what the script returned: the first
 * `admitted` are allowed (each one emission interval further ahead), the rest denied. Pure (unit-tested).
 */
export function decisionsFor(n: number, admitted: number, aheadMs: number, emissionMs: number, burst: number): RateLimitDecision[] {
  const tolerance = emissionMs * burst;
  const out: RateLimitDecision[] = [];
  for (let i = 0; i < n; i++) {
    if (i < admitted) {
      const ahead = aheadMs + (i + 1) * emissionMs; // the TAT after this request, relative to now
      out.push({ allowed: true, remaining: Math.max(0, Math.floor((tolerance - ahead) / emissionMs)), retryAfterMs: 0, resetMs: Math.ceil(ahead) });
    } else {
      const ahead = aheadMs + admitted * emissionMs;
      out.push({ allowed: false, remaining: 0, retryAfterMs: Math.max(0, Math.ceil(ahead + emissionMs - tolerance)), resetMs: Math.ceil(ahead) });
    }
  }
  return out;
}

const MAX_COALESCED = 1_000;

/**
 * One Redis round trip per bucket at a time per process: requests for a bucket that arrive while its call is in flight
 * wait and go together in the next call (GCRA with cost n). Alone, a request goes at once, exactly as before; under
 * load, a busy key costs one script call per round trip instead of one per request. Decisions are the same as one
 * call each, in arrival order.
 */
export function createRateLimiter(deps: { redis: Redis; logger: Logger }, options: { perSecond: number; burst: number }): RateLimiter {
  const emissionMs = 1000 / options.perSecond;
  const log = deps.logger.child({ module: 'edge.rate-limit' });
  // ioredis sends EVALSHA and falls back to EVAL itself after a Redis restart (NOSCRIPT).
  deps.redis.defineCommand('inflowGcra', { numberOfKeys: 1, lua: GCRA });
  const gcra = (...args: (string | number)[]) => (deps.redis as unknown as { inflowGcra(...a: (string | number)[]): Promise<unknown> }).inflowGcra(...args);
  const waiting = new Map<string, ((d: RateLimitDecision) => void)[]>(); // present = a call for that bucket is in flight

  async function send(bucket: string, queue: ((d: RateLimitDecision) => void)[]): Promise<void> {
    const batch = queue.splice(0, MAX_COALESCED);
    let decisions: RateLimitDecision[];
    try {
      const [admitted, ahead] = (await gcra(`inflow:edge:rl:${bucket}`, emissionMs, options.burst, batch.length)) as [number, string];
      decisions = decisionsFor(batch.length, Number(admitted), Number(ahead), emissionMs, options.burst);
    } catch (err) {
      // Fail open: a Redis outage must not stop ingestion; the broker still bounds the load.
      log.warn({ err }, 'redis unavailable: rate limit skipped');
      decisions = batch.map(() => ({ allowed: true, remaining: options.burst, retryAfterMs: 0, resetMs: 0 }));
    }
    batch.forEach((resolve, i) => resolve(decisions[i]!));
    if (queue.length > 0) void send(bucket, queue);
    else waiting.delete(bucket);
  }

  return {
    take(bucket) {
      return new Promise<RateLimitDecision>((resolve) => {
        const queue = waiting.get(bucket);
        if (queue) return void queue.push(resolve); // joins the next call
        const fresh = [resolve];
        waiting.set(bucket, fresh);
        void send(bucket, fresh);
      });
    },
  };
}

/** Limits by the bucket `bucketOf` names (the API key id, a webhook source...). Runs after authentication. */
export function rateLimit(options: { limiter: RateLimiter; limit: number; bucketOf: (c: Context) => string }): MiddlewareHandler {
  return async function rateLimitMiddleware(c, next) {
    const d = await options.limiter.take(options.bucketOf(c));
    setReplyHeader(c, 'RateLimit-Limit', String(options.limit));
    setReplyHeader(c, 'RateLimit-Remaining', String(Math.max(0, d.remaining)));
    setReplyHeader(c, 'RateLimit-Reset', String(Math.ceil(d.resetMs / 1000)));
    if (!d.allowed) {
      rateLimited.inc();
      const retryAfter = String(Math.max(1, Math.ceil(d.retryAfterMs / 1000)));
      return reply(c, { error: 'rate_limited', message: `too many requests; retry after ${retryAfter} s` }, 429, { 'Retry-After': retryAfter });
    }
    await next();
  };
}
