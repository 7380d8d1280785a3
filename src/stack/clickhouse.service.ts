// ClickHouse status for `inflow status`: embedded chDB (in-process, nothing to start) or a server by URL.
import { createRequire } from 'node:module';
import type { Config } from '../config.ts';
import { createClickHouse } from '../infra/clickhouse.ts';
import type { ServiceStatus } from './service.ts';

const require = createRequire(import.meta.url);

export async function clickhouseStatus(cfg: Pick<Config, 'CLICKHOUSE_URL' | 'CLICKHOUSE_DATABASE' | 'chdbPath'>): Promise<ServiceStatus> {
  if (cfg.CLICKHOUSE_URL) {
    const client = createClickHouse(cfg);
    try {
      const res = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
      const [row] = await res.json<{ v: string }>();
      return { name: 'clickhouse', address: cfg.CLICKHOUSE_URL, healthy: true, version: `ClickHouse server ${row?.v}` };
    } catch (err) {
      return { name: 'clickhouse', address: cfg.CLICKHOUSE_URL, healthy: false, detail: (err as Error).message };
    } finally {
      await client.close();
    }
  }
  // Embedded: the engine loads in-process; ask an in-memory engine its version (the data folder may be
  // held by a running `inflow start`, and chDB allows one owner per folder).
  try {
    const chdb = require('chdb') as { query: (sql: string, format?: string) => string };
    const engine = chdb.query('SELECT version()', 'TSV').trim();
    const pkg = require('chdb/package.json') as { version: string };
    return { name: 'clickhouse', address: `embedded chDB at ${cfg.chdbPath}`, healthy: true, version: `chDB ${pkg.version} (ClickHouse ${engine})` };
  } catch (err) {
    return { name: 'clickhouse', address: `embedded chDB at ${cfg.chdbPath}`, healthy: false, detail: (err as Error).message };
  }
}
