// Small helpers shared by integration tests: unique names, the test config, clients that clean up after themselves.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT, type Config } from '../../src/config.ts';
import { createClickHouse, type ClickHouseClient } from '../../src/infra/clickhouse.ts';
import { migrateClickHouse } from '../../src/migrate/clickhouse.migrate.ts';

/** A name no other test (or earlier run) uses: topics, groups, tenants, keys. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

/** A chDB engine on a folder of this test file's own, with the ClickHouse DDL applied. */
export async function testClickHouse(name: string, cfg: Config = testConfig()): Promise<ClickHouseClient> {
  const chdbPath = cfg.CLICKHOUSE_URL ? cfg.chdbPath : path.join(PROJECT_ROOT, '.inflow', 'test', `chdb-${name}`);
  const ch = createClickHouse({ ...cfg, chdbPath });
  await migrateClickHouse(ch, cfg.CLICKHOUSE_DATABASE);
  return ch;
}
