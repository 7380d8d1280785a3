// A bulk chunk finds its contacts by their keys with one primary-key probe each, whatever the statistics say
// (src/bulk/chunk.apply.ts). The hazard is reproduced on a scratch copy of `contacts` (its columns and indexes):
// analyzed while it held a few rows of another tenant, then loaded with a tenant the statistics do not know about, as
// after an import. The statements under test are the module's own texts with the table name swapped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkKeys, LOCK_CHUNK_SQL, UPDATE_EACH_SQL, updateSharedSql } from '../../src/bulk/chunk.apply.ts';
import { createPostgres, textArrayParam, useKeyedPlans, type Sql, type TransactionSql } from '../../src/infra/postgres.ts';
import { testConfig, unique } from '../support/helpers.ts';

let sql: Sql;
const table = unique('bulk_keyed').replace(/[^a-z0-9_]/gi, '_').toLowerCase();
const onScratch = (statement: string) => statement.replace(/\bcontacts\b/g, table);
const TENANT = 'imported';

beforeAll(async () => {
  sql = createPostgres(testConfig(), { max: 1 });
  await sql.unsafe(`create table ${table} (like contacts including all)`);
  await sql.unsafe(`insert into ${table} (tenant_id, id, first_name) select 'other', 'o-' || g, 'x' from generate_series(1, 2000) g`);
  await sql.unsafe(`analyze ${table}`);
  await sql.unsafe(`insert into ${table} (tenant_id, id, first_name) select '${TENANT}', 'c-' || lpad(g::text, 6, '0'), 'x' from generate_series(1, 30000) g`);
});
afterAll(async () => {
  await sql?.unsafe(`drop table if exists ${table}`);
  await sql?.end({ timeout: 5 });
});

const ids = Array.from({ length: 500 }, (_, i) => `c-${String((i + 1) * 59).padStart(6, '0')}`);

async function planOf(statement: string, params: (tx: TransactionSql) => unknown[]): Promise<string> {
  let plan = '';
  await sql.begin(async (tx: TransactionSql) => {
    await useKeyedPlans(tx);
    const rows = await tx.unsafe<{ 'QUERY PLAN': string }[]>(`explain ${onScratch(statement)}`, params(tx) as never[]);
    plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  });
  return plan;
}

const keys = (tx: TransactionSql) => chunkKeys(tx, TENANT, ids);

describe('bulk chunk statements under stale statistics', () => {
  it('reproduces the hazard: `tenant_id = $1 and id = any($2)` scans the whole tenant and filters the ids', async () => {
    // the control: the shape the chunk statements had until session 10, with the same transaction settings
    const plan = await planOf(`select c.id from contacts c where c.tenant_id = $1 and c.id = any($2::text[]) order by c.id for update`, (tx) => [TENANT, textArrayParam(tx, ids)]);
    expect(plan).toMatch(/Filter: \(id = ANY/);
  });

  const statements: [string, string, (tx: TransactionSql) => unknown[]][] = [
    ['the lock of a chunk', LOCK_CHUNK_SQL, keys],
    ['the shared-values update', updateSharedSql(['owner_id']), (tx) => [...keys(tx), 'owner-1']],
    ['the per-contact update', UPDATE_EACH_SQL, () => [ids.map((id) => ({ t: TENANT, id, s: { tags: ['x'] } }))]],
  ];
  for (const [name, statement, params] of statements) {
    it(`plans ${name} as one primary-key probe per contact`, async () => {
      const plan = await planOf(statement, params);
      expect(plan).toMatch(/Nested Loop/);
      expect(plan).toMatch(new RegExp(`Index (Only )?Scan using ${table}_pkey`));
      expect(plan).toMatch(/Index Cond: \(\(tenant_id = .+\) AND \(id = .+\)\)/); // both key columns, from each row
      expect(plan).not.toMatch(/Seq Scan|Hash Join|Merge Join|= ANY/);
    });
  }
});
