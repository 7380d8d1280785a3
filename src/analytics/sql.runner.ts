// Runs one read-only query and returns its columns and rows, whichever engine answers.
// Unqualified table names resolve in CLICKHOUSE_DATABASE (`SELECT ... FROM outcomes`).
import { createClient } from '@clickhouse/client';
import type { Config } from '../config.ts';
import { createClickHouse, type ClickHouseClient } from '../infra/clickhouse.ts';
import { checkReadOnly } from './sql.readonly.ts';

export interface SqlResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export class SqlRefusedError extends Error {
  override name = 'SqlRefusedError';
}

/** A client whose every query runs with readonly=1: per request on a server; a session of its own on chDB. */
export async function createReadOnlyClickHouse(cfg: Pick<Config, 'CLICKHOUSE_URL' | 'CLICKHOUSE_DATABASE' | 'chdbPath'>): Promise<ClickHouseClient> {
  if (cfg.CLICKHOUSE_URL) {
    return createClient({
      url: cfg.CLICKHOUSE_URL,
      database: cfg.CLICKHOUSE_DATABASE,
      request_timeout: 60_000,
      clickhouse_settings: { readonly: '1', output_format_json_quote_64bit_integers: 0 },
    });
  }
  // chDB turns settings into session SETs that last: a session of its own, made read-only once, for good.
  // Inside the process that owns the folder this is a second session on the same engine (chDB allows that).
  const ch = createClickHouse(cfg);
  await ch.command({ query: `USE ${cfg.CLICKHOUSE_DATABASE}` });
  await ch.command({ query: 'SET readonly = 1' });
  return ch;
}

export async function runReadOnly(ch: ClickHouseClient, sql: string): Promise<SqlResult> {
  const check = checkReadOnly(sql);
  if (!check.ok) throw new SqlRefusedError(check.message);
  const res = await ch.query({ query: check.sql, format: 'JSONCompact' });
  const body = (await res.json()) as { meta?: { name: string; type: string }[]; data?: unknown[][] };
  return { columns: body.meta ?? [], rows: body.data ?? [] };
}
