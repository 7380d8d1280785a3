// The edge's client-visible dedup layer in Redis (the worker's processed_events stays the exactly-once truth).
// A key is claimed "pending" with the request's body hash before producing, then marked "done" with the result
// once the broker acked, or released when producing failed. SET NX GET makes the claim one atomic round trip.
import { createHash } from 'node:crypto';
import type { Redis } from '../infra/redis.ts';
import type { Logger } from '../infra/logger.ts';

export type Claim =
  | { state: 'claimed' }
  | { state: 'pending'; hash: string }
  | { state: 'done'; hash: string; result: string }
  /** Redis unreachable: go on without the fast layer; the worker still dedups by event_id. */
  | { state: 'unavailable' };

export interface IdempotencyStore {
  claim(key: string, hash: string): Promise<Claim>;
  complete(key: string, hash: string, result: string): Promise<void>;
  release(key: string, hash: string): Promise<void>;
  /** Polls a pending key until it is done or released (or the deadline passes). */
  settle(key: string, hash: string, timeoutMs: number): Promise<Claim>;
}

export function bodyHash(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 22);
}

const PENDING_TTL_MS = 30_000; // longer than any produce deadline: a crashed edge frees its claims after this

// Deletes a pending claim only if it is still ours (a later request may have claimed it since).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

function decode(raw: string): Claim {
  const [state, hash = '', ...rest] = raw.split('|');
  return state === 'd' ? { state: 'done', hash, result: rest.join('|') } : { state: 'pending', hash };
}

export function createIdempotencyStore(deps: { redis: Redis; logger: Logger }, options: { ttlSeconds: number; prefix?: string }): IdempotencyStore {
  const { redis } = deps;
  const log = deps.logger.child({ module: 'edge.idempotency' });
  const k = (key: string) => `${options.prefix ?? 'inflow:edge:idem:'}${key}`;
  return {
    async claim(key, hash) {
      try {
        const old = (await redis.call('SET', k(key), `p|${hash}`, 'PX', PENDING_TTL_MS, 'NX', 'GET')) as string | null;
        return old === null ? { state: 'claimed' } : decode(old);
      } catch (err) {
        log.warn({ err }, 'redis unavailable: idempotency check skipped');
        return { state: 'unavailable' };
      }
    },
    async complete(key, hash, result) {
      await redis.set(k(key), `d|${hash}|${result}`, 'EX', options.ttlSeconds).catch((err: unknown) => log.warn({ err }, 'idempotency result not stored'));
    },
    async release(key, hash) {
      await redis.eval(RELEASE, 1, k(key), `p|${hash}`).catch((err: unknown) => log.warn({ err }, 'idempotency claim not released'));
    },
    async settle(key, hash, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const claim = await this.claim(key, hash);
        if (claim.state !== 'pending' || Date.now() > deadline) return claim;
        await new Promise((r) => setTimeout(r, 25)); // the holder finishes within its produce deadline
      }
    },
  };
}
