// Applies sql/NNN_*.sql in order, each in its own transaction, tracked in schema_migrations.
// An advisory lock keeps two processes from migrating at once.
import path from 'node:path';
import { PROJECT_ROOT } from '../config.ts';
import type { Sql } from '../infra/postgres.ts';
import { pendingMigrations, readMigrations } from './migration-files.ts';

const LOCK_ID = 7_300_417; // arbitrary, constant: "inflow migrations"

export async function migratePostgres(sql: Sql, dir = path.join(PROJECT_ROOT, 'sql')): Promise<string[]> {
  const files = readMigrations(dir);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_ID})`;
    await tx`
      create table if not exists schema_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
    const rows = await tx<{ name: string; checksum: string }[]>`select name, checksum from schema_migrations`;
    const pending = pendingMigrations(files, new Map(rows.map((r) => [r.name, r.checksum])));
    for (const m of pending) {
      await tx.unsafe(m.sql);
      await tx`insert into schema_migrations (name, checksum) values (${m.name}, ${m.checksum})`;
    }
    return pending.map((m) => m.name);
  });
}
