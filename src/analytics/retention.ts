// Configurable retention: ANALYTICS_RETENTION_DAYS rewrites the TTL of the outcomes table and the views.
// The DDL files carry 400 days; this applies the configured value at sink start, only where it differs.
import type { ClickHouseClient } from '../infra/clickhouse.ts';

/** Table -> the DateTime expression its TTL counts from (as in clickhouse/001 and 011-015). */
export const RETENTION_TABLES: Record<string, string> = {
  outcomes: 'toDateTime(received_at)',
  outcomes_per_minute: 'minute',
  latency_per_minute: 'minute',
  dlq_reasons_per_minute: 'minute',
  bulk_action_progress: 'toDateTime(last_at)',
  bulk_outcomes: 'toDateTime(processed_at)',
};

export function ttlClause(expression: string, days: number): string {
  return `${expression} + toIntervalDay(${Math.trunc(days)})`;
}

/** Applies the retention; returns the tables whose TTL changed. Existing parts are not rewritten now (merges apply it). */
export async function applyRetention(ch: ClickHouseClient, database: string, days: number): Promise<string[]> {
  const changed: string[] = [];
  for (const [table, expression] of Object.entries(RETENTION_TABLES)) {
    const res = await ch.query({
      query: `SELECT create_table_query AS ddl FROM system.tables WHERE database = {db:String} AND name = {table:String} -- analytics.retention`,
      query_params: { db: database, table },
      format: 'JSONEachRow',
    });
    const [row] = await res.json<{ ddl: string }>();
    if (!row) continue;
    const wanted = ttlClause(expression, days);
    if (row.ddl.includes(`TTL ${wanted}`)) continue;
    await ch.command({
      query: `ALTER TABLE ${database}.${table} MODIFY TTL ${wanted} SETTINGS materialize_ttl_after_modify = 0`,
    });
    changed.push(table);
  }
  return changed;
}
