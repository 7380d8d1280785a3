// @clickhouse/client against a ClickHouse server (CLICKHOUSE_URL) or the embedded chDB engine.
// The same queries and DDL serve both. chDB holds its data folder exclusively: one process owns it.
import { mkdirSync } from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from '../config.ts';

export type { ClickHouseClient };

export function createClickHouse(cfg: Pick<Config, 'CLICKHOUSE_URL' | 'CLICKHOUSE_DATABASE' | 'chdbPath'>): ClickHouseClient {
  // 64-bit integers as JSON numbers in both modes (chDB's default; a server quotes them unless told not to),
  // so one query gives one shape of result whichever engine answers.
  const clickhouse_settings = { output_format_json_quote_64bit_integers: 0 } as const;
  if (cfg.CLICKHOUSE_URL) {
    return createClient({ url: cfg.CLICKHOUSE_URL, request_timeout: 30_000, clickhouse_settings });
  }
  mkdirSync(cfg.chdbPath, { recursive: true });
  // The hook is typed for Node streams; chdb/connection implements that same interface.
  const connection = createChdbConnection({ path: cfg.chdbPath });
  return createClient({ connection, clickhouse_settings } as unknown as Parameters<typeof createClient>[0]);
}
