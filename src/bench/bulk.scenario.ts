// The bulk scenario's side job: N contacts seeded with COPY, then one bulk action (tag) over them through
// POST /v1/bulk-actions while ingest runs; its status is polled until it finishes.
import { once } from 'node:events';
import type { Sql } from '../infra/postgres.ts';
import { round } from './stats.ts';

export interface BulkResult {
  contacts: number;
  actionId: string | null;
  status: string;
  seconds: number;
  contactsPerS: number;
  counts: Record<string, number>;
  error?: string;
}

export async function seedContacts(sql: Sql, tenant: string, n: number): Promise<void> {
  const conn = await sql.reserve();
  try {
    const stream = await conn`copy contacts (tenant_id, id, first_name, last_name, email, company, country) from stdin -- bench.seed_contacts`.writable();
    for (let i = 0; i < n; i += 1000) {
      let text = '';
      for (let j = i; j < Math.min(n, i + 1000); j++) text += `${tenant}\tbulk-${j}\tBulk\tContact${j}\tbulk.${j}@example.com\tBenchBulk\tDE\n`;
      if (!stream.write(text)) await once(stream, 'drain');
    }
    stream.end();
    await once(stream, 'finish');
  } finally {
    conn.release();
  }
}

const FINAL = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);

export async function runBulkAction(options: { url: string; key: string; contacts: number; timeoutMs: number; signal?: AbortSignal }): Promise<BulkResult> {
  const headers = { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' };
  const started = performance.now();
  const res = await fetch(`${options.url}/v1/bulk-actions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ entity: 'contacts', action: 'tag', target: { filter: { field: 'company', op: 'eq', value: 'BenchBulk' } }, payload: { tags: ['bench'] } }),
  });
  const created = (await res.json().catch(() => ({}))) as { id?: string };
  if (!res.ok || !created.id) return { contacts: options.contacts, actionId: null, status: `http ${res.status}`, seconds: 0, contactsPerS: 0, counts: {}, error: JSON.stringify(created).slice(0, 300) };
  let last: { status?: string; counts?: Record<string, number> } = {};
  while (performance.now() - started < options.timeoutMs && !options.signal?.aborted) {
    const r = await fetch(`${options.url}/v1/bulk-actions/${created.id}`, { headers });
    last = (await r.json().catch(() => ({}))) as typeof last;
    if (last.status && FINAL.has(last.status)) break;
    await new Promise((resolve) => setTimeout(resolve, 500)); // polling: the API has no push channel
  }
  const seconds = (performance.now() - started) / 1000;
  const done = Object.values(last.counts ?? {}).reduce((a, b) => a + b, 0);
  return { contacts: options.contacts, actionId: created.id, status: last.status ?? 'unknown', seconds: round(seconds), contactsPerS: round(done / seconds, 1), counts: last.counts ?? {} };
}
