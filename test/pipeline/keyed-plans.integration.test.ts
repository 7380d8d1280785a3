// The pipeline's transactions plan their keyed batch statements as index probes whatever the statistics say
// (useKeyedPlans in src/infra/postgres.ts). The hazard is reproduced on a scratch table: analyzed while nearly empty
// but many pages long (rows deleted), then refilled, so the planner believes it holds a few rows and would hash or
// sort all of it for every chunk. The statements are the shapes the pipeline runs: an update joined to a chunk's
// keys through unnest (the entity upserts, the conversion links) and a lookup by key (processed_events).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgres, textArrayParam, useKeyedPlans, type Sql, type TransactionSql } from '../../src/infra/postgres.ts';
import { testConfig, unique } from '../support/helpers.ts';

let sql: Sql;
const table = unique('keyed_plans').replace(/[^a-z0-9_]/gi, '_').toLowerCase();

beforeAll(async () => {
  sql = createPostgres(testConfig(), { max: 1 });
  await sql.unsafe(`create table ${table} (tenant_id text not null, id text not null, version bigint not null default 1, note text, primary key (tenant_id, id))`);
  // many pages, then almost all rows deleted and the table analyzed: its statistics now say "a few rows in many pages"
  await sql.unsafe(`insert into ${table} (tenant_id, id, note) select 't', 'old-' || g, repeat('x', 200) from generate_series(1, 20000) g`);
  await sql.unsafe(`delete from ${table} where id <> 'old-20000'`);
  await sql.unsafe(`vacuum analyze ${table}`);
  // refilled into the freed space: 20 000 rows that the statistics do not know about
  await sql.unsafe(`insert into ${table} (tenant_id, id, note) select 't', 'new-' || g, repeat('y', 200) from generate_series(1, 20000) g`);
});
afterAll(async () => {
  await sql?.unsafe(`drop table if exists ${table}`);
  await sql?.end({ timeout: 5 });
});

const keys = Array.from({ length: 500 }, (_, i) => `new-${i * 37}`);
const tenants = keys.map(() => 't');

async function planOf(statement: string, keyed: boolean): Promise<string> {
  let plan = '';
  await sql.begin(async (tx: TransactionSql) => {
    if (keyed) await useKeyedPlans(tx);
    const rows = await tx.unsafe<{ 'QUERY PLAN': string }[]>(`explain ${statement}`, [textArrayParam(tx, tenants), textArrayParam(tx, keys)] as never);
    plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  });
  return plan;
}

const update = () => `update ${table} t set version = t.version + 1 from unnest($1::text[], $2::text[]) as r(tenant_id, id) where t.tenant_id = r.tenant_id and t.id = r.id`;
const lookup = () => `select t.id from ${table} t join unnest($1::text[], $2::text[]) as k(tenant_id, id) on t.tenant_id = k.tenant_id and t.id = k.id`;

describe('keyed plans', () => {
  it('reproduces the hazard: with default settings the planner scans the whole table for a chunk of keys', async () => {
    // the control: if this stops holding (a Postgres that plans it right anyway), the test below proves less
    // (a hash or merge join reads all of the table's side, by seq scan or by a full index scan)
    expect(await planOf(update(), false)).toMatch(/Hash Join|Merge Join/);
    expect(await planOf(lookup(), false)).toMatch(/Hash Join|Merge Join/);
  });

  it('plans the same statements as a nested loop with one primary-key probe per key', async () => {
    for (const statement of [update(), lookup()]) {
      const plan = await planOf(statement, true);
      expect(plan).not.toMatch(/Seq Scan|Hash Join|Merge Join/);
      expect(plan).toMatch(/Nested Loop/);
      expect(plan).toMatch(new RegExp(`Index (Only )?Scan using ${table}_pkey`));
    }
  });

  it('lasts only for the transaction', async () => {
    await sql.begin(async (tx: TransactionSql) => useKeyedPlans(tx));
    const [row] = await sql<{ enable_seqscan: string }[]>`show enable_seqscan`;
    expect(row!.enable_seqscan).toBe('on');
  });
});
