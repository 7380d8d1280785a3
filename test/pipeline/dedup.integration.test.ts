// The Redis fast path of exactly-once against a real Redis: marks written after a commit are found by the next lookup,
// per day bucket, with the position that processed them; unknown ids are null; every bucket's hash expires with the
// dedup window (plus its own day), so a resend inside the window is still caught and nothing outlives it.
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infra/logger.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { createRedisDedup, type DedupKey } from '../../src/pipeline/dedup.step.ts';
import { testConfig, unique } from '../support/helpers.ts';

const cfg = testConfig();
const redis = createRedis(cfg);
afterAll(() => redis.disconnect());

describe('Redis dedup fast path', () => {
  it('finds what was marked, per bucket, with its position, and expires each bucket with the window', async () => {
    const namespace = unique('dedup') + ':';
    const dedup = createRedisDedup({ redis, logger: createLogger(cfg) }, { namespace, windowDays: 7 });
    const key = (eventId: string, bucket: string): DedupKey => ({ tenantId: 't1', eventId, bucket });
    const marked = Array.from({ length: 300 }, (_, i) => ({
      key: key(`e${i}`, i % 2 ? '2026-11-23' : '2026-11-24'),
      position: { topic: 'crm.events', partition: i % 6, offset: String(1000 + i) },
    }));
    await dedup.mark(marked);

    const found = await dedup.lookup([...marked.map((m) => m.key), key('e0', '2026-11-23'), key('never', '2026-11-24'), { ...key('e2', '2026-11-24'), tenantId: 't2' }]);
    expect(found.slice(0, 300)).toEqual(marked.map((m) => `crm.events:${m.position.partition}:${m.position.offset}`));
    // same id in another bucket, an id never marked, the same id of another tenant: unknown
    expect(found.slice(300)).toEqual([null, null, null]);

    for (const bucket of ['2026-11-23', '2026-11-24']) {
      const hash = `inflow:dedup:${namespace}${bucket}`;
      expect(await redis.hlen(hash)).toBe(150);
      const ttl = await redis.ttl(hash);
      expect(ttl).toBeGreaterThan(7 * 86_400);
      expect(ttl).toBeLessThanOrEqual(8 * 86_400);
      await redis.del(hash);
    }
  });

  it('a mark of an empty list and a lookup of nothing do not touch Redis', async () => {
    const dedup = createRedisDedup({ redis, logger: createLogger(cfg) }, { namespace: unique('dedup') + ':', windowDays: 7 });
    await expect(dedup.mark([])).resolves.toBeUndefined();
    await expect(dedup.lookup([])).resolves.toEqual([]);
  });
});
