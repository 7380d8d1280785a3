// One chunk's lead write, alone, against Postgres: the statement the worker runs now against the one it ran before
// session 12, and the same statement over a connection with Nagle on (postgres.js's stock socket) and off (inflow's).
//   flock /tmp/inflow-test.lock npx tsx bench/pipeline/statements.bench.ts [--rows 1000] [--reps 12]
// Each execution writes `rows` new leads (fresh ids) in a transaction that is rolled back; prints per variant the
// milliseconds of each execution, the median and µs a row. Uses the test database.
import net from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { ensureTenant } from '../../src/accounts/api-keys.ts';
import { loadConfig } from '../../src/config.ts';
import { createPostgres, PREPARED, textArrayParam, useKeyedPlans, type Sql, type TransactionSql } from '../../src/infra/postgres.ts';
import { toEffect } from '../../src/pipeline/effect.step.ts';
import { enrich, geoipLite } from '../../src/pipeline/enrich.step.ts';
import { applyEffects, TABLES } from '../../src/pipeline/entities.repository.ts';
import { normalizeEvent } from '../../src/pipeline/normalize.step.ts';
import { testEnv } from '../../test/support/test-env.ts';
import { leads } from './lead.events.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000' }, reps: { type: 'string', default: '12' } } });
const ROWS = Number(args.rows);
const REPS = Number(args.reps);
const cfg = loadConfig({ ...process.env, ...testEnv(), LOG_LEVEL: 'warn' });
const noNagle = createPostgres(cfg, { max: 1 });
// postgres.js as shipped: Nagle on (inflow's patch turns it off through setNoDelay, made a no-op on this socket)
const nagle = postgres(cfg.DATABASE_URL, {
  max: 1, onnotice: () => {}, transform: { undefined: null },
  socket: async (o: { host: string[]; port: number[] }) => {
    const socket = net.connect(o.port[0]!, o.host[0]!);
    await once(socket, 'connect');
    socket.setNoDelay = () => socket;
    return socket;
  },
} as never) as unknown as Sql;
const tenant = `bench-statements-${Date.now()}`;
await ensureTenant(noNagle, tenant);

// the lead write before session 12: one statement, an insert CTE and an update CTE over the same unnest
const { columns, insertDefaults } = TABLES.lead;
const names = columns.map(([n]) => n);
const cast = (n: string, t: string) => (t === 'text' ? `r.${n}` : `r.${n}::${t}`);
const update = (n: string, t: string) =>
  n === 'last_event_id' || n === 'last_occurred_at' ? `${n} = ${cast(n, t)}` : n === 'metadata' ? `metadata = t.metadata || coalesce(r.metadata::jsonb, '{}')` : `${n} = coalesce(${cast(n, t)}, t.${n})`;
const before = `
  with r as (select * from unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) as r(${names.join(', ')})),
  ins as (
    insert into leads (${names.join(', ')}) select ${columns.map(([n, t]) => (insertDefaults[n] ? `coalesce(${cast(n, t)}, ${insertDefaults[n]})` : cast(n, t))).join(', ')} from r
    on conflict (tenant_id, id) do nothing returning tenant_id, id, version, row_to_json(leads.*)::text as entity),
  upd as (
    update leads t set ${columns.filter(([n]) => n !== 'tenant_id' && n !== 'id').map(([n, t]) => update(n, t)).join(', ')}, version = t.version + 1, updated_at = now()
    from r where t.tenant_id = r.tenant_id and t.id = r.id
      and (t.last_occurred_at is null or (t.last_occurred_at, coalesce(t.last_event_id, '')) < (r.last_occurred_at::timestamptz, r.last_event_id))
    returning t.tenant_id, t.id, t.version, row_to_json(t.*)::text as entity)
  select tenant_id, id, version, entity from ins union all select tenant_id, id, version, entity from upd -- bench.statements.before`;

const geo = geoipLite();
const effectsFor = (rep: number, variant: string) =>
  leads(tenant, ROWS).map((e) => {
    const n = normalizeEvent({ ...e, entity_id: `${e.entity_id}-${variant}-${rep}` });
    return toEffect(n, enrich({ ip: n.lead!.ip, user_agent: n.lead!.user_agent }, geo));
  });

type Variant = (sql: Sql, rep: number) => Promise<number>;
const timed = (sql: Sql, fn: (tx: TransactionSql) => Promise<unknown>): Promise<number> => {
  let ms = 0;
  return sql.begin(async (tx: TransactionSql) => {
    await useKeyedPlans(tx);
    const t0 = performance.now();
    await fn(tx);
    ms = performance.now() - t0;
    throw new Error('rollback');
  }).catch((e: Error) => (e.message === 'rollback' ? ms : Promise.reject(e)));
};
const variants: Record<string, [Sql, Variant]> = {
  'now (insert, then update the rest), Nagle off': [noNagle, (sql, rep) => { const fx = effectsFor(rep, 'now'); return timed(sql, (tx) => applyEffects(tx, fx)); }],
  'before session 12 (insert + update CTEs), Nagle off': [noNagle, (sql, rep) => {
    const fx = effectsFor(rep, 'before');
    return timed(sql, (tx) => tx.unsafe(before, names.map((c) => textArrayParam(tx, fx.map((f) => { const v = f.row[c]; return v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v); }))) as never, PREPARED));
  }],
  'now, Nagle on (postgres.js stock socket)': [nagle, (sql, rep) => { const fx = effectsFor(rep, 'nagle'); return timed(sql, (tx) => applyEffects(tx, fx)); }],
};

const results: Record<string, number[]> = {};
for (let rep = 0; rep < REPS + 2; rep++) {
  for (const [name, [sql, run]] of Object.entries(variants)) {
    const ms = await run(sql, rep);
    if (rep >= 2) (results[name] ??= []).push(ms); // the first two: connection, prepare, plan caching
  }
}
const report = Object.entries(results).map(([variant, ms]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  return { variant, ms: ms.map((x) => Math.round(x)), median_ms: Number(median.toFixed(1)), us_per_row: Number(((median * 1000) / ROWS).toFixed(1)), over_35ms: ms.filter((x) => x > sorted[0]! + 35).length };
});
console.log(JSON.stringify({ at: new Date().toISOString(), rows: ROWS, reps: REPS, command: 'flock /tmp/inflow-test.lock npx tsx bench/pipeline/statements.bench.ts', report }, null, 2));
await noNagle.unsafe('delete from tenants where id = $1', [tenant]);
await Promise.all([noNagle.end({ timeout: 5 }), nagle.end({ timeout: 5 })]);
