// What a role (edge, api, worker, sink, bulk) receives when `inflow start` runs it.
import type { Hono } from 'hono';
import type { Config } from '../config.ts';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Logger } from '../infra/logger.ts';
import type { Shutdown } from '../infra/shutdown.ts';

export interface RoleContext {
  cfg: Config;
  logger: Logger;
  /** Register every resource you open; they close in reverse order on SIGTERM/SIGINT. */
  shutdown: Shutdown;
  /** The process's one HTTP app: mount routes here. The server starts listening after every role has started. */
  http: Hono;
  /** The process's one ClickHouse client (chDB allows one engine per data folder, so roles share it). */
  clickhouse(): ClickHouseClient;
  options: { concurrency?: number };
}

/** A role module's default export. */
export type StartRole = (ctx: RoleContext) => Promise<void>;
