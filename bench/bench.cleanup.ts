// What a benchmark leaves behind is deleted when it ends: its private topics (kept for their 7-day retention
// otherwise) and its tenants' rows. Left in place, a few dozen runs filled 74 GB of the machine's disk.
import type { Kafka } from 'kafkajs';
import { deleteTopicsWithPrefix } from '../src/infra/kafka.ts';
import type { Sql } from '../src/infra/postgres.ts';

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
