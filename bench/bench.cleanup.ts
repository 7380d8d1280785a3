// What a benchmark leaves behind is deleted when it ends: its private topics (kept for their 7-day retention
// otherwise) and its tenants' rows. Left in place, a few dozen runs filled 74 GB of the machine's disk.
import type { Kafka } from 'kafkajs';
import { deleteTopicsWithPrefix } from '../src/infra/kafka.ts';
import type { Sql } from '../src/infra/postgres.ts';
import type { Redis } from '../src/infra/redis.ts';

/** Deletes the topics whose names start with each prefix; prints what it did, never throws (the figures are out). */
export async function deleteBenchTopics(kafka: Kafka, prefixes: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    let n = 0;
    for (const p of prefixes) n += (await deleteTopicsWithPrefix(admin, p)).length;
    console.error(`cleanup: deleted ${n} bench topic(s) (${prefixes.join(', ')}*)`);
  } catch (err) {
    console.error(`cleanup: bench topics not deleted (${(err as Error).message}); delete topics ${prefixes.join(', ')}* by hand`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The rows a worker writes per tenant, children before parents. */
const TENANT_TABLES = ['leads_raw', 'processed_events', 'opportunities', 'contacts', 'leads', 'dlq_events'] as const;

/** Deletes every row of the tenants whose ids start with `tenantPrefix` (then the tenants), in the test database. */
export async function deleteBenchTenants(sql: Sql, tenantPrefix: string): Promise<void> {
  if (!tenantPrefix.startsWith('bench-')) throw new Error(`deleteBenchTenants: "${tenantPrefix}" is not a bench tenant prefix`);
  const like = `${tenantPrefix.replace(/[\\%_]/g, '\\$&')}%`;
  try {
    for (const table of TENANT_TABLES) await sql`delete from ${sql(table)} where tenant_id like ${like}`;
    await sql`delete from api_keys where tenant_id like ${like}`;
    await sql`delete from tenants where id like ${like}`;
    console.error(`cleanup: deleted the rows of tenants ${tenantPrefix}*`);
  } catch (err) {
    console.error(`cleanup: rows of tenants ${tenantPrefix}* not deleted (${(err as Error).message})`);
  }
}

/**
 * Deletes the dedup hashes a worker namespaced with each prefix (`inflow:dedup:<prefix><day>`). They expire after the
 * dedup window otherwise: a session of apply benches left ~2.5 million fields (370 MB) in the test Redis, and each
 * AOF rewrite of that forked and copied it all in the middle of some later run's measured round.
 */
export async function deleteBenchDedupKeys(redis: Redis, prefixes: string[]): Promise<void> {
  try {
    let n = 0;
    for (const p of prefixes) {
      if (!p.startsWith('bench-')) throw new Error(`"${p}" is not a bench prefix`);
      const match = `inflow:dedup:${p.replace(/[*?[\]\\]/g, '\\$&')}*`;
      for await (const keys of redis.scanStream({ match, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) n += await redis.unlink(...keys);
      }
    }
    console.error(`cleanup: deleted ${n} dedup hash(es) in Redis (${prefixes.map((p) => `inflow:dedup:${p}`).join(', ')}*)`);
  } catch (err) {
    console.error(`cleanup: dedup hashes not deleted (${(err as Error).message}); delete inflow:dedup:${prefixes.join(', ')}* by hand`);
  }
}
