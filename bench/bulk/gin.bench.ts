// GIN pending-list settings vs chunked contact updates, in a scratch database of its own (inflow_bulk_gin) with the
// contacts table and its indexes as migrations 002 + 032 create them. Per variant: the same rows updated in
// chunks by parallel sessions (like bulk executors), then by one raw UPDATE; chunk durations and totals.
//   flock /tmp/inflow-bench.lock npx tsx bench/bulk/gin.bench.ts --contacts 300000 --chunk 500 --sessions 4
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { testEnv } from '../../test/support/test-env.ts';

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '300000' },
    chunk: { type: 'string', default: '500' },
    sessions: { type: 'string', default: '4' },
    variants: { type: 'string', default: 'default,fastupdate_off,pending_256kb,pending_1mb' },
  },
});
const N = Number(args.contacts);
const CHUNK = Number(args.chunk);
const SESSIONS = Number(args.sessions);
const url = new URL(testEnv().DATABASE_URL!);
const admin = postgres({ ...parse(url), database: 'inflow_test', max: 1, onnotice: () => {} });
const DB = 'inflow_bulk_gin';
if (!(await admin`select 1 from pg_database where datname = ${DB}`).length) await admin.unsafe(`create database ${DB}`);
await admin.end();
const sql = postgres({ ...parse(url), database: DB, max: SESSIONS + 1, onnotice: () => {} });

function parse(u: URL) {
  return { host: u.hostname, port: Number(u.port || 5432), username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

const VARIANTS: Record<string, string> = {
  default: 'fastupdate = on, gin_pending_list_limit = 4096',
  fastupdate_off: 'fastupdate = off',
  pending_256kb: 'fastupdate = on, gin_pending_list_limit = 256',
  pending_1mb: 'fastupdate = on, gin_pending_list_limit = 1024',
};

await sql.unsafe(`
  create extension if not exists pg_trgm;
  drop table if exists contacts;
  create or replace function contacts_search_text(first_name text, last_name text, email text, company text) returns text
    language sql immutable parallel safe
    return coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(company, '');
  create table contacts (
    tenant_id text not null, id text not null, version bigint not null default 1, last_event_id text, last_occurred_at timestamptz,
    created_at timestamptz not null default now(), updated_at timestamptz not null default now(), deleted_at timestamptz,
    first_name text, last_name text, email text, phone text, company text, title text, country text, owner_id text,
    status text not null default 'active', tags text[] not null default '{}', lead_id text, metadata jsonb not null default '{}',
    primary key (tenant_id, id));
  create index contacts_email on contacts (tenant_id, email);
  create index contacts_updated on contacts (tenant_id, updated_at, id);
  create index contacts_owner on contacts (tenant_id, owner_id);
  create index contacts_fts on contacts using gin (to_tsvector('simple'::regconfig, contacts_search_text(first_name, last_name, email, company)));
  create index contacts_trgm on contacts using gin (contacts_search_text(first_name, last_name, email, company) gin_trgm_ops);
  create index contacts_created on contacts (tenant_id, created_at, id);`);
await sql`
  insert into contacts (tenant_id, id, first_name, last_name, email, country, owner_id, tags)
  select 't1', 'c-' || lpad(g::text, 8, '0'), 'First' || g, 'Last' || g, 'user' || g || '@example.com', 'FR', 'owner-' || (g % 7), array['seed']
  from generate_series(1, ${N}) g`;
await sql`vacuum analyze contacts`;
const ids = (await sql<{ id: string }[]>`select id from contacts order by id`).map((r) => r.id);

const results: Record<string, unknown>[] = [];
for (const v of args.variants.split(',')) {
  for (const idx of ['contacts_fts', 'contacts_trgm']) await sql.unsafe(`alter index ${idx} set (${VARIANTS[v]})`);
  await sql`vacuum contacts`; // empty pending lists and reclaim the previous variant's dead rows: each starts alike
  await sql`checkpoint`.catch(() => {}); // needs pg_checkpoint (superuser before 15): best effort
  const durations: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      for (let i = next; i < ids.length; i = next) {
        next += CHUNK;
        const s0 = performance.now();
        await sql.begin((tx) => tx`update contacts set title = ${v}, version = version + 1, updated_at = now()
          where tenant_id = 't1' and id = any(${ids.slice(i, i + CHUNK)}) -- bench.ginChunk`);
        durations.push(performance.now() - s0);
      }
    }),
  );
  const chunkedMs = performance.now() - t0;
  await sql`vacuum contacts`;
  const r0 = performance.now();
  await sql`update contacts set title = ${`raw ${v}`}, version = version + 1, updated_at = now() where tenant_id = 't1' -- bench.ginRaw`;
  const rawMs = performance.now() - r0;
  durations.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]!);
  const row = { variant: v, chunked_s: +(chunkedMs / 1000).toFixed(2), raw_s: +(rawMs / 1000).toFixed(2), chunk_p50_ms: pct(0.5), chunk_p99_ms: pct(0.99), chunk_max_ms: pct(1), over_1s: durations.filter((d) => d > 1000).length, chunks: durations.length };
  results.push(row);
  console.log(JSON.stringify(row));
}
console.log(JSON.stringify({ at: new Date().toISOString(), contacts: N, chunk: CHUNK, sessions: SESSIONS, results }, null, 2));
await sql`drop table contacts`;
await sql.end();
