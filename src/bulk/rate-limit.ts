// Per-account token bucket in Redis, shared by every executor. A reservation (GCRA style) rather than a
// poll: the script books `n` tokens at the account's next free moment and returns how long to wait for it,
// so executors never busy-loop and two executors can never spend the same second twice.
import type { Redis } from '../infra/redis.ts';

// KEYS[1] = bucket key; ARGV = n, rate per second, burst (tokens), now override in ms (0 = Redis clock)
// Stored value: tat, the theoretical time (ms) at which the bucket is full again after all bookings.
const RESERVE = `
local n = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + n * 1000 / rate
local start = new_tat - burst * 1000 / rate
local wait = 0
if start > now then wait = start - now end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 60000)
return tostring(wait)
`;

const PEEK = `
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return tostring(tat - now)
`;

export interface RateLimiter {
  /** Books n tokens for the account; resolves when they may be spent. */
  acquire(accountId: string, n: number, ratePerSec: number): Promise<number>;
  /** Tokens the account could spend right now without waiting (0..one second of budget). */
  budgetLeft(accountId: string, ratePerSec: number): Promise<number>;
}

/** One bucket per account; the planner caps a chunk at a quarter second of its action's budget. */
export function createRateLimiter(redis: Redis, { prefix = 'inflow:bulk:rate:' } = {}): RateLimiter {
  const key = (account: string) => `${prefix}${account}`;
  return {
    async acquire(accountId, n, ratePerSec) {
      const burst = n; // no banked budget: chunk k starts at k*n/rate, so any window measures <= rate (+ one chunk)
      const wait = Number(await redis.eval(RESERVE, 1, key(accountId), n, ratePerSec, burst, 0));
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return wait;
    },
    async budgetLeft(accountId, ratePerSec) {
      const ahead = Number(await redis.eval(PEEK, 1, key(accountId))); // ms of bookings beyond now (negative: idle)
      return ahead >= 0 ? 0 : Math.min(ratePerSec, Math.floor((-ahead * ratePerSec) / 1000));
    },
  };
}
