// @clickhouse/client against a ClickHouse server (CLICKHOUSE_URL) or the embedded chDB engine.
// The same queries and DDL serve both. chDB holds its data folder exclusively: one process owns it.
import { mkdirSync } from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from '../config.ts';

export type { ClickHouseClient };

export function createClickHouse(cfg: Pick<Config, 'CLICKHOUSE_URL' | 'CLICKHOUSE_DATABASE' | 'chdbPath'>): ClickHouseClient {
  if (cfg.CLICKHOUSE_URL) {
    return createClient({ url: cfg.CLICKHOUSE_URL, request_timeout: 30_000 });
  }
  mkdirSync(cfg.chdbPath, { recursive: true });
  // The hook is typed for Node streams; chdb/connection implements that same interface.
  const connection = createChdbConnection({ path: cfg.chdbPath });
  return createClient({ connection } as unknown as Parameters<typeof createClient>[0]);
}
