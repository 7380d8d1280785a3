// Runs in its own process (chDB allows one engine per process): raw @clickhouse/client inserts of outcome rows into a
// scratch database carrying inflow's ClickHouse DDL (tables and materialized views). Prints one JSON line.
import { rmSync } from 'node:fs';
import { loadConfig } from '../../config.ts';
import { createClickHouse } from '../../infra/clickhouse.ts';
import { migrateClickHouse } from '../../migrate/clickhouse.migrate.ts';

const [folder, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const cfg = loadConfig();
const db = `bench_ceiling_${process.pid}`;
const ch = createClickHouse({ ...cfg, chdbPath: folder ?? cfg.chdbPath });
try {
  await migrateClickHouse(ch, db);
  const BATCH = 10_000; // the sink's target insert size
  const now = Date.now();
  const started = performance.now();
  for (let i = 0; i < rows; i += BATCH) {
    const values = Array.from({ length: Math.min(BATCH, rows - i) }, (_, k) => {
      const n = i + k;
      return { outcome_id: `o-${n}`, event_id: `ev-${n}`, tenant_id: 'bench', kind: 'event', type: 'lead.created', source: 'api', status: 'applied',
        entity_type: 'lead', entity_id: `l-${n}`, entity_version: 1, topic: 'crm.events', partition: n % 6, offset: n,
        received_at: now - 50, processed_at: now, attempt: 1, utm_source: 'google' };
    });
    await ch.insert({ table: `${db}.outcomes`, values, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ rowsPerS: Math.round((rows / seconds) * 10) / 10 }));
} finally {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
  await ch.close();
  if (!cfg.CLICKHOUSE_URL && folder) rmSync(folder, { recursive: true, force: true });
}
