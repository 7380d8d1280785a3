// Thin adapter over ioredis.
import { Redis } from 'ioredis';
import type { Config } from '../config.ts';

export type { Redis };

export function createRedis(cfg: Pick<Config, 'REDIS_URL'>, options: { lazyConnect?: boolean } = {}): Redis {
  return new Redis(cfg.REDIS_URL, {
    lazyConnect: options.lazyConnect ?? false,
    // Commands wait in ioredis's queue while Redis restarts; callers see a failure after this many retries, not a hang.
    maxRetriesPerRequest: 3,
    enableAutoPipelining: true, // concurrent commands in one tick share a round trip
    connectionName: 'inflow',
  });
}
