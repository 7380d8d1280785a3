// The Redis fast path: one round trip per batch tells which events are already known, so a resend is answered
// `duplicate` without touching Postgres. Day-bucketed hashes (bucket = day of occurred_at, as in processed_events),
// field tenant|event_id, value the position of the message that processed it; each expires with the dedup window.
// Redis is written ONLY after the Postgres commit, and may be flushed or down at any time: it is never the truth.
import type { Redis } from '../infra/redis.ts';
import type { Logger } from '../infra/logger.ts';
import type { Position } from './event.types.ts';

export interface DedupKey {
  tenantId: string;
  eventId: string;
  bucket: string;
}

/** An event to mark known, with the position of the message that processed it. */
export type DedupMark = { key: DedupKey; position: Position };

export interface Dedup {
  /** For each key, the position that processed it, or null (unknown, or Redis unavailable). */
  lookup(keys: DedupKey[]): Promise<(string | null)[]>;
  /** Marks keys processed; best effort (a lost mark costs a Postgres lookup, never a double apply). */
  mark(entries: DedupMark[]): Promise<void>;
}

export const positionString = (p: Position) => `${p.topic}:${p.partition}:${p.offset}`;

export function createRedisDedup(
  deps: { redis: Redis; logger: Logger },
  options: { namespace: string; windowDays: number; timeoutMs?: number },
): Dedup {
  const { redis, logger } = deps;
  const timeoutMs = options.timeoutMs ?? 1000; // a slow Redis must not hold the batch: Postgres answers instead
  // the hash outlives its day by the window, so a resend within the window is still caught
  const ttlSeconds = (options.windowDays + 1) * 86_400;
  const hashKey = (bucket: string) => `inflow:dedup:${options.namespace}${bucket}`;
  const field = (k: DedupKey) => `${k.tenantId}\u001f${k.eventId}`;

  async function bounded<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`redis: no answer in ${timeoutMs} ms`)), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async lookup(keys) {
      if (keys.length === 0) return [];
      const byBucket = new Map<string, number[]>();
      keys.forEach((k, i) => (byBucket.get(k.bucket) ?? byBucket.set(k.bucket, []).get(k.bucket)!).push(i));
      const pipeline = redis.pipeline();
      const groups = [...byBucket.entries()];
      for (const [bucket, idx] of groups) pipeline.hmget(hashKey(bucket), ...idx.map((i) => field(keys[i]!)));
      const out: (string | null)[] = keys.map(() => null);
      try {
        const replies = (await bounded(pipeline.exec())) ?? [];
        groups.forEach(([, idx], g) => {
          const [err, values] = replies[g] ?? [];
          if (err || !Array.isArray(values)) return;
          idx.forEach((i, j) => (out[i] = (values[j] as string | null) ?? null));
        });
      } catch (err) {
        logger.warn({ err }, 'dedup fast path unavailable; Postgres decides');
      }
      return out;
    },
    async mark(entries) {
      if (entries.length === 0) return;
      // one HSET with every field of a bucket (not one command per event), then its EXPIRE
      const byBucket = new Map<string, string[]>();
      for (const { key, position } of entries) {
        const args = byBucket.get(key.bucket) ?? byBucket.set(key.bucket, []).get(key.bucket)!;
        args.push(field(key), positionString(position));
      }
      const pipeline = redis.pipeline();
      for (const [bucket, args] of byBucket) pipeline.hset(hashKey(bucket), ...args).expire(hashKey(bucket), ttlSeconds);
      try {
        await bounded(pipeline.exec());
      } catch (err) {
        logger.warn({ err, events: entries.length }, 'dedup marks not written; Postgres still has them');
      }
    },
  };
}
