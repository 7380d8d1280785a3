// Applies clickhouse/NNN_*.sql in order, tracked in <db>.schema_migrations. Same files for chDB and a server.
// Files may use {db} for the database name so analysts and tests can choose it.
import path from 'node:path';
import { PROJECT_ROOT } from '../config.ts';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import { pendingMigrations, readMigrations, splitStatements } from './migration-files.ts';

export async function migrateClickHouse(ch: ClickHouseClient, database: string, dir = path.join(PROJECT_ROOT, 'clickhouse')): Promise<string[]> {
  const files = readMigrations(dir);
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await ch.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (name String, checksum String, applied_at DateTime64(3) DEFAULT now64(3))
            ENGINE = ReplacingMergeTree ORDER BY name`,
  });
  const res = await ch.query({ query: `SELECT name, checksum FROM ${database}.schema_migrations FINAL`, format: 'JSONEachRow' });
  const rows = await res.json<{ name: string; checksum: string }>();
  const pending = pendingMigrations(files, new Map(rows.map((r) => [r.name, r.checksum])));
  for (const m of pending) {
    for (const statement of splitStatements(m.sql.replaceAll('{db}', database))) {
      await ch.command({ query: statement });
    }
    await ch.insert({ table: `${database}.schema_migrations`, values: [{ name: m.name, checksum: m.checksum }], format: 'JSONEachRow' });
  }
  return pending.map((m) => m.name);
}
