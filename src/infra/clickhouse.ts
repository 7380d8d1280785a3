// @clickhouse/client against a ClickHouse server (CLICKHOUSE_URL) or the embedded chDB engine.
// The same queries and DDL serve both. chDB holds its data folder exclusively: one process owns it.
import { mkdirSync } from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from '../config.ts';
import { InflowError } from './errors.ts';

/** chDB allows one engine per data folder; another process holds this one. */
export class ClickHouseFolderLockedError extends InflowError {
  constructor(readonly path: string, cause: unknown) {
    super(
      `the embedded ClickHouse folder ${path} is held by another process (a running \`inflow start\`?). ` +
        'chDB allows one engine per folder: stop that process, or set CLICKHOUSE_URL to a ClickHouse server so several processes can share it',
      { cause, retriable: true },
    );
  }
}

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
  let connection: ReturnType<typeof createChdbConnection>;
  try {
    connection = createChdbConnection({ path: cfg.chdbPath });
  } catch (err) {
    if ((err as { code?: string }).code === 'CHDB_CONNECTION') throw new ClickHouseFolderLockedError(cfg.chdbPath, err);
    throw err;
  }
  return createClient({ connection, clickhouse_settings } as unknown as Parameters<typeof createClient>[0]);
}
