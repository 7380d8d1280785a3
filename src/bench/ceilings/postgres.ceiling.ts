// Database ceiling: Postgres's own COPY of the rows one exactly-once event makes the worker write — a `leads` row, its
// `leads_raw` payload and its `processed_events` row with the outcome and change records — into scratch tables LIKE
// the real ones (same columns, defaults and indexes; logged, as the real ones are), over two connections in parallel
// (the worker pool's default size), each loading its share of the three tables in one transaction. Rows are sized like
// the worker's: a lead with the seed 001/003 fields, a ~0.9 KB raw payload, a ~0.2 KB outcome and a ~1.5 KB change.
import { once } from 'node:events';
import { copyField, type Sql, type TransactionSql } from '../../infra/postgres.ts';
import { round } from '../stats.ts';
import type { CeilingResult } from './ceiling.types.ts';

const CONNECTIONS = 2;
/** a bytea value in COPY's text format: \x and hex, its backslash escaped */
const byteaText = (bytes: number) => '\\\\x' + Buffer.alloc(bytes, 0x5a).toString('hex');

async function copyRows(conn: TransactionSql, statement: string, indexes: number[], line: (i: number) => string): Promise<void> {
  const stream = await conn.unsafe(statement).writable();
  const CHUNK = 1000; // lines per write: large enough to amortise, small enough to keep memory flat
  for (let k = 0; k < indexes.length; k += CHUNK) {
    let text = '';
    for (const i of indexes.slice(k, k + CHUNK)) text += line(i);
    if (!stream.write(text)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

export async function measurePostgresCeiling(deps: { sql: Sql }, options: { rows: number }): Promise<CeilingResult> {
  const tag = `bench_copy_${process.pid}`;
  const tables = { leads: `${tag}_leads`, raw: `${tag}_raw`, processed: `${tag}_processed` };
  const now = new Date().toISOString();
  const day = now.slice(0, 10);
  const ua = copyField('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36');
  const payload = (i: number) => copyField(JSON.stringify({
    event_id: `ev-${i}`, tenant_id: 'bench', type: 'lead.created', entity_id: `l-${i}`, occurred_at: now, received_at: now, source: 'api', consent: true,
    lead: { first_name: 'Ada', last_name: 'Lovelace', email: `ada.lovelace.${i}@example.com`, phone: '+4915112345678', company: 'Lovelace GmbH', message: 'Please call me back about the trial offer.',
      country: 'Germany', lang: 'de', ip: '81.198.10.20', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      click_id: `gclid-${i}`, offer: 'trial', domain: 'example.com', utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'bench', utm_content: 'banner-a', utm_term: 'crm' },
    metadata: {}, request_id: `req-${i}`, traceparent: null,
  }));
  const outcome = byteaText(220);
  const change = byteaText(1_500);
  const setup = await deps.sql.reserve();
  try {
    await setup.unsafe(`create table ${tables.leads} (like leads including defaults including indexes) -- bench.copy_ceiling`);
    await setup.unsafe(`create table ${tables.raw} (like leads_raw including defaults including indexes) -- bench.copy_ceiling`);
    await setup.unsafe(`create table ${tables.processed} (like processed_events including defaults) -- bench.copy_ceiling`);
    await setup.unsafe(`alter table ${tables.processed} add primary key (tenant_id, event_id, bucket) -- bench.copy_ceiling`);
    const shares = Array.from({ length: CONNECTIONS }, (_, k) => Array.from({ length: options.rows }, (_, i) => i).filter((i) => i % CONNECTIONS === k));
    const started = performance.now();
    await Promise.all(shares.map((share) => deps.sql.begin(async (tx) => {
      await copyRows(tx, `copy ${tables.leads} (tenant_id, id, version, last_event_id, last_occurred_at, source, received_at, first_name, last_name, email, phone, company, message, consent, country, lang, click_id, offer, domain, ip_address, user_agent, ua_browser, ua_os, ua_device, geo_country, utm_source, utm_medium, utm_campaign, utm_content, utm_term) from stdin`, share,
        (i) => `bench\tl-${i}\t1\tev-${i}\t${now}\tapi\t${now}\tAda\tLovelace\tada.lovelace.${i}@example.com\t+4915112345678\tLovelace GmbH\tPlease call me back about the trial offer.\tt\tDE\tde\tgclid-${i}\ttrial\texample.com\t81.198.10.20\t${ua}\tChrome\tLinux\tdesktop\tLV\tgoogle\tcpc\tbench\tbanner-a\tcrm\n`);
      await copyRows(tx, `copy ${tables.raw} (tenant_id, event_id, lead_id, request_id, payload, received_at) from stdin`, share,
        (i) => `bench\tev-${i}\tl-${i}\treq-${i}\t${payload(i)}\t${now}\n`);
      await copyRows(tx, `copy ${tables.processed} (tenant_id, event_id, bucket, status, topic, partition, "offset", entity_type, entity_id, entity_version, outcome_record, change_records) from stdin`, share,
        (i) => `bench\tev-${i}\t${day}\tapplied\tcrm.events\t${i % 6}\t${i}\tlead\tl-${i}\t1\t${outcome}\t${change}\n`);
    })));
    const seconds = (performance.now() - started) / 1000;
    return {
      name: 'postgres',
      what: `COPY of ${options.rows} events' rows (leads + leads_raw + processed_events, as the exactly-once worker writes them) into logged scratch tables LIKE them, ${CONNECTIONS} connections`,
      eventsPerS: round(options.rows / seconds, 1),
    };
  } finally {
    await setup.unsafe(`drop table if exists ${tables.leads}, ${tables.raw}, ${tables.processed} -- bench.copy_ceiling`).catch(() => undefined);
    setup.release();
  }
}
