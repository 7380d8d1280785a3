// Applied events, from Postgres's truth: processed_events rows of the bench tenants (one per event the worker finished).
import type { Sql } from '../infra/postgres.ts';

export async function countApplied(sql: Sql, tenants: string[]): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from processed_events where tenant_id = any(${tenants}) -- bench.count_applied`;
  return row?.n ?? 0;
}

export async function appliedByStatus(sql: Sql, tenants: string[]): Promise<Record<string, number>> {
  const rows = await sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from processed_events where tenant_id = any(${tenants}) group by status -- bench.applied_by_status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** event_id -> rows, streamed with a cursor (a 60 s batch run is over a million rows). */
export async function appliedIds(sql: Sql, tenants: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await sql<{ event_id: string }[]>`
    select event_id from processed_events where tenant_id = any(${tenants}) -- bench.applied_ids`.cursor(10_000, (rows) => {
    for (const r of rows) out.set(r.event_id, (out.get(r.event_id) ?? 0) + 1);
  });
  return out;
}
