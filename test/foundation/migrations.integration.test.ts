// Migrations apply in order, once, and an applied file that changed is a loud error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgres, type Sql } from '../../src/infra/postgres.ts';
import { ChangedMigrationError } from '../../src/migrate/migration-files.ts';
import { migratePostgres } from '../../src/migrate/postgres.migrate.ts';
import { migrateClickHouse } from '../../src/migrate/clickhouse.migrate.ts';
import { testClickHouse, testConfig, unique } from '../support/helpers.ts';

const cfg = testConfig();

describe('Postgres migrations', () => {
  let admin: Sql;
  let sql: Sql;
  let dbUrl: string;
  const database = `${unique('mig').replace('-', '_')}_test`;

  beforeAll(async () => {
    admin = createPostgres(cfg, { max: 1 });
    await admin.unsafe(`create database "${database}"`);
    const url = new URL(cfg.DATABASE_URL);
    url.pathname = `/${database}`;
    dbUrl = url.toString();
    sql = createPostgres({ ...cfg, DATABASE_URL: dbUrl }, { max: 1 });
  });
  afterAll(async () => {
    await sql.end();
    await admin.unsafe(`drop database if exists "${database}"`);
    await admin.end();
  });

  it('applies numbered files in order once, then refuses a changed applied file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inflow-mig-'));
    writeFileSync(path.join(dir, '002_second.sql'), 'insert into first (v) values (2);');
    writeFileSync(path.join(dir, '001_first.sql'), 'create table first (v int);');
    expect(await migratePostgres(sql, dir)).toEqual(['001_first.sql', '002_second.sql']);
    expect(await migratePostgres(sql, dir)).toEqual([]);
    expect(await sql`select v from first`).toEqual([{ v: 2 }]);

    writeFileSync(path.join(dir, '001_first.sql'), 'create table first (v bigint);');
    await expect(migratePostgres(sql, dir)).rejects.toThrow(ChangedMigrationError);
    await expect(migratePostgres(sql, dir)).rejects.toThrow(/001_first\.sql was changed after it was applied/);
  });

  it('rolls back a failing file entirely and records nothing for it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inflow-mig-'));
    writeFileSync(path.join(dir, '001_ok.sql'), 'create table ok_table (v int);');
    writeFileSync(path.join(dir, '002_broken.sql'), 'create table half (v int); select * from no_such_table;');
    await expect(migratePostgres(sql, dir)).rejects.toMatchObject({ code: '42P01' });
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_tables where tablename in ('ok_table', 'half')`;
    expect(row?.n).toBe(0);
  });
});

describe('ClickHouse migrations', () => {
  it('applies the DDL once and refuses a changed applied file', async () => {
    const ch = await testClickHouse('migrations');
    const database = unique('mig').replace('-', '_');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inflow-chmig-'));
    writeFileSync(path.join(dir, '001_t.sql'), 'CREATE TABLE IF NOT EXISTS {db}.t (v UInt8) ENGINE = MergeTree ORDER BY v;');
    expect(await migrateClickHouse(ch, database, dir)).toEqual(['001_t.sql']);
    expect(await migrateClickHouse(ch, database, dir)).toEqual([]);
    writeFileSync(path.join(dir, '001_t.sql'), 'CREATE TABLE IF NOT EXISTS {db}.t (v UInt16) ENGINE = MergeTree ORDER BY v;');
    await expect(migrateClickHouse(ch, database, dir)).rejects.toThrow(ChangedMigrationError);
    await ch.close();
  });
});
