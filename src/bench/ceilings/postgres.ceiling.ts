// Database ceiling: Postgres's own COPY of the rows one event produces (a leads row and a processed_events row) into
// scratch tables LIKE the real ones (same columns, defaults and indexes), in one transaction-free stream each.
import { once } from 'node:events';
import type { Sql } from '../../infra/postgres.ts';
import { round } from '../stats.ts';
import type { CeilingResult } from './ceiling.types.ts';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');

async function copyRows(conn: Sql, statement: string, rows: number, line: (i: number) => string): Promise<void> {
  const stream = await conn.unsafe(statement).writable();
  const CHUNK = 1000; // lines per write: large enough to amortise, small enough to keep memory flat
  for (let i = 0; i < rows; i += CHUNK) {
    let text = '';
    for (let j = i; j < Math.min(rows, i + CHUNK); j++) text += line(j);
    if (!stream.write(text)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

export async function measurePostgresCeiling(deps: { sql: Sql }, options: { rows: number }): Promise<CeilingResult> {
  const conn = await deps.sql.reserve();
  const tag = `bench_copy_${process.pid}`;
  try {
    await conn.unsafe(`create temp table ${tag}_leads (like leads including defaults including indexes) -- bench.copy_ceiling`);
    await conn.unsafe(`create temp table ${tag}_processed (like processed_events including defaults) -- bench.copy_ceiling`);
    await conn.unsafe(`alter table ${tag}_processed add primary key (tenant_id, event_id, bucket) -- bench.copy_ceiling`);
    const now = new Date().toISOString();
    const day = now.slice(0, 10);
    const started = performance.now();
    await copyRows(conn, `copy ${tag}_leads (tenant_id, id, version, last_event_id, last_occurred_at, first_name, last_name, email, phone, company, country, utm_source, utm_medium, utm_campaign, offer, user_agent, consent) from stdin`, options.rows,
      (i) => `bench\tl-${i}\t1\tev-${i}\t${now}\tAda\tLovelace\tada.lovelace.${i}@example.com\t+4915112345678\tLovelace GmbH\tDE\tgoogle\tcpc\tbench\ttrial\t${esc('Mozilla/5.0 (X11; Linux x86_64) bench')}\tt\n`);
    await copyRows(conn, `copy ${tag}_processed (tenant_id, event_id, bucket, status, topic, partition, "offset", entity_type, entity_id, entity_version, outcome) from stdin`, options.rows,
      (i) => `bench\tev-${i}\t${day}\tapplied\tcrm.events\t${i % 6}\t${i}\tlead\tl-${i}\t1\t${esc(JSON.stringify({ outcome_id: `o-${i}`, status: 'applied' }))}\n`);
    const seconds = (performance.now() - started) / 1000;
    return {
      name: 'postgres',
      what: `COPY of ${options.rows} leads rows + ${options.rows} processed_events rows into scratch tables LIKE them (events/s = row pairs/s)`,
      eventsPerS: round(options.rows / seconds, 1),
    };
  } finally {
    await conn.unsafe(`drop table if exists ${tag}_leads, ${tag}_processed -- bench.copy_ceiling`).catch(() => undefined);
    conn.release();
  }
}
