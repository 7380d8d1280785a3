// Bulk actions end to end through the real stack: API -> planner -> crm.bulk.chunks -> executors -> Postgres + outcomes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../../src/infra/clickhouse.ts';
import { testClickHouse } from '../support/helpers.ts';
import { createBulkWorld, type BulkWorld } from './bulk.harness.ts';

let w: BulkWorld;
let ch: ClickHouseClient;
beforeAll(async () => {
  ch = await testClickHouse('bulk');
  w = await createBulkWorld({ executors: 2, clickhouse: () => ch });
  await w.startWorkers();
});
afterAll(async () => {
  await w?.close();
  await ch?.close();
});

type Stats = { status: string; total: number; succeeded: number; failed: number; skipped: number; percent: number; processed: number; rate_per_sec: number };

async function create(key: string, body: unknown, idempotencyKey?: string) {
  const res = await w.call('POST', '/v1/bulk-actions', key, body, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
  return { status: res.status, body: (await res.json()) as { id: string; status: string; error?: { details: { errors: string[] } } } };
}
const stats = async (key: string, id: string) => (await (await w.call('GET', `/v1/bulk-actions/${id}/stats`, key)).json()) as Stats;

describe('a 100k-contact update', () => {
  it('updates every matching contact once, and stats equal the truth in Postgres', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 100_000, { country: 'FR' });
    await w.seed(t.id, 1_000, { country: 'DE', idPrefix: 'de-' });
    const started = Date.now();
    const { status, body } = await create(t.key, {
      entity: 'contacts',
      action: 'update',
      target: { filter: { and: [{ field: 'country', op: 'eq', value: 'FR' }, { field: 'tags', op: 'has', value: 'seed' }] } },
      payload: { fields: { title: 'Bulk Title', company: 'Acme' } },
    });
    expect(status).toBe(201);
    const done = await w.waitStatus(t.key, body.id, ['completed', 'completed_with_errors', 'failed'], 180_000);
    expect(done.status).toBe('completed');
    const s = await stats(t.key, body.id);
    const [truth] = await w.sql<{ changed: number; twice: number; de_changed: number }[]>`
      select count(*) filter (where title = 'Bulk Title' and company = 'Acme' and version = 2)::int as changed,
             count(*) filter (where version > 2)::int as twice,
             count(*) filter (where country = 'DE' and title is not null)::int as de_changed
      from contacts where tenant_id = ${t.id}`;
    expect(truth).toEqual({ changed: 100_000, twice: 0, de_changed: 0 });
    expect(s).toMatchObject({ status: 'completed', total: 100_000, succeeded: truth!.changed, failed: 0, skipped: 0, percent: 100, processed: 100_000 });
    const [ledger] = await w.sql<{ chunks: number; max_ms: number }[]>`select count(*)::int as chunks, max(duration_ms) as max_ms from bulk_chunks where bulk_action_id = ${body.id}`;
    expect(ledger!.chunks).toBe(100_000 / w.cfg.BULK_CHUNK_SIZE); // the default chunk size
    console.log(`100k update: ${((Date.now() - started) / 1000).toFixed(1)} s, ${s.rate_per_sec}/s, slowest chunk tx ${ledger!.max_ms} ms`);

    // one outcome per contact, deterministic ids, and the change feed carries every change
    const outcomes = await w.readOutcomes(100_000, 120_000, body.id);
    expect(new Set(outcomes.map((o) => o.outcome_id)).size).toBe(100_000);
    expect(outcomes.every((o) => o.kind === 'bulk' && o.status === 'succeeded' && o.entity_version === 2)).toBe(true);
  }, 300_000);
});

describe('create', () => {
  it('returns the same action for the same Idempotency-Key', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 10);
    const body = { entity: 'contacts', action: 'tag', target: { ids: ['c-0000001', 'c-0000002'] }, payload: { tags: ['vip'] } };
    const first = await create(t.key, body, 'same-key');
    const second = await create(t.key, body, 'same-key');
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    await w.waitStatus(t.key, first.body.id, ['completed']);
    const rows = await w.sql`select id from contacts where tenant_id = ${t.id} and tags @> array['vip'] order by id`;
    expect(rows.map((r) => r.id)).toEqual(['c-0000001', 'c-0000002']);
  });

  it('dry_run counts the matches and shows a sample of the change, touching nothing', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 30);
    const res = await w.call('POST', '/v1/bulk-actions', t.key, {
      entity: 'contacts',
      action: 'assign_owner',
      target: { filter: { field: 'owner_id', op: 'in', value: ['owner-1', 'owner-2'] } },
      payload: { owner_id: 'owner-new' },
      dry_run: true,
    });
    const body = (await res.json()) as { matched: number; sample: { id: string; before: unknown; after: unknown }[] };
    expect(res.status).toBe(200);
    expect(body.matched).toBe(10); // g % 7 in (1, 2) for g = 1..30: 1,2,8,9,15,16,22,23,29,30
    expect(body.sample[0]).toEqual({ id: 'c-0000001', before: { owner_id: 'owner-1' }, after: { owner_id: 'owner-new' } });
    const [n] = await w.sql<{ n: number }[]>`select count(*)::int as n from contacts where tenant_id = ${t.id} and owner_id = 'owner-new'`;
    expect(n!.n).toBe(0);
    const [a] = await w.sql<{ n: number }[]>`select count(*)::int as n from bulk_actions where tenant_id = ${t.id}`;
    expect(a!.n).toBe(0);
  });

  it('rejects filter injection attempts and names every invalid part', async () => {
    const t = await w.tenant();
    const { status, body } = await create(t.key, {
      entity: 'contacts',
      action: 'update',
      target: {
        filter: {
          or: [
            { field: "email' or '1'='1", op: 'eq', value: 'x' },
            { field: 'email', op: '= any(select id from tenants) --', value: 'x' },
            { field: 'tenant_id', op: 'eq', value: 'someone-else' },
          ],
        },
      },
      payload: { fields: { 'title = null; drop table contacts; --': 'x' } },
    });
    expect(status).toBe(400);
    const errors = body.error!.details.errors;
    expect(errors).toHaveLength(4);
    expect(errors.join('\n')).toMatch(/target\.filter\.or\[0\]\.field: unknown field/);
    expect(errors.join('\n')).toMatch(/target\.filter\.or\[1\]\.op: unknown operator/);
    expect(errors.join('\n')).toMatch(/target\.filter\.or\[2\]\.field: unknown field "tenant_id"/);
    expect(errors.join('\n')).toMatch(/payload\.fields\.title = null; drop table contacts; --: not an updatable field/);

    // a hostile value is only ever a parameter: it matches nothing and changes nothing
    await w.seed(t.id, 5);
    const dry = await w.call('POST', '/v1/bulk-actions', t.key, {
      entity: 'contacts',
      action: 'delete',
      target: { filter: { field: 'email', op: 'eq', value: "x' or '1'='1" } },
      dry_run: true,
    });
    expect(((await dry.json()) as { matched: number }).matched).toBe(0);
  });
});

describe('tenant isolation', () => {
  it("tenant A cannot see, cancel, revert or target tenant B's contacts or actions", async () => {
    const a = await w.tenant();
    const b = await w.tenant();
    await w.seed(b.id, 20);
    const bAction = await create(b.key, { entity: 'contacts', action: 'tag', target: { ids: ['c-0000001'] }, payload: { tags: ['b'] }, scheduled_at: '2099-01-01T00:00:00Z' });
    expect(bAction.body.status).toBe('scheduled');
    for (const [method, path] of [
      ['GET', `/v1/bulk-actions/${bAction.body.id}`],
      ['GET', `/v1/bulk-actions/${bAction.body.id}/stats`],
      ['GET', `/bulk-actions/${bAction.body.id}/errors`],
      ['POST', `/v1/bulk-actions/${bAction.body.id}/cancel`],
      ['POST', `/v1/bulk-actions/${bAction.body.id}/revert`],
    ] as const) {
      expect((await w.call(method, path, a.key)).status, `${method} ${path}`).toBe(404);
    }
    const list = (await (await w.call('GET', '/v1/bulk-actions', a.key)).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);

    // A targets B's contact ids: they are not A's contacts, so every one is skipped as not_found
    const attack = await create(a.key, { entity: 'contacts', action: 'delete', target: { ids: ['c-0000001', 'c-0000002'] } });
    await w.waitStatus(a.key, attack.body.id, ['completed']);
    expect(await stats(a.key, attack.body.id)).toMatchObject({ succeeded: 0, skipped: 2 });
    const [alive] = await w.sql<{ n: number }[]>`select count(*)::int as n from contacts where tenant_id = ${b.id} and deleted_at is null`;
    expect(alive!.n).toBe(20);
    expect((await w.call('GET', `/v1/bulk-actions/${bAction.body.id}`, b.key)).status).toBe(200);
    // and a read-only key cannot create
    const reader = await w.tenant(['read']);
    expect((await w.call('POST', '/v1/bulk-actions', reader.key, { entity: 'contacts', action: 'delete', target: { ids: ['x'] } })).status).toBe(403);
  });
});

describe('cancel', () => {
  it('stops new chunks within seconds and reports the partial result exactly', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 6_000);
    const { body } = await create(t.key, { entity: 'contacts', action: 'update', target: { filter: { field: 'country', op: 'eq', value: 'FR' } }, payload: { fields: { title: 'X' } }, rate_limit_per_sec: 400 });
    await w.waitFor('some progress', async () => (await stats(t.key, body.id)).succeeded >= 500);
    const cancelled = await w.call('POST', `/v1/bulk-actions/${body.id}/cancel`, t.key);
    expect(cancelled.status).toBe(200);
    const cancelledAt = Date.now();
    // executors drain the remaining chunks as skipped(cancelled): the ledger covers every planned contact
    const final = await w.waitFor('every chunk in the ledger', async () => {
      const s = await stats(t.key, body.id);
      return s.processed === s.total ? s : undefined;
    });
    const [truth] = await w.sql<{ n: number; last: Date }[]>`select count(*)::int as n, max(updated_at) as last from contacts where tenant_id = ${t.id} and title = 'X'`;
    expect(final.status).toBe('cancelled');
    expect(final.succeeded).toBe(truth!.n);
    expect(final.succeeded).toBeLessThan(6_000);
    expect(final.succeeded + final.skipped).toBe(6_000);
    expect(truth!.last.getTime()).toBeLessThan(cancelledAt + 3_000); // nothing applied more than a few seconds after cancel
    expect((await w.call('POST', `/v1/bulk-actions/${body.id}/cancel`, t.key)).status).toBe(409);
  });
});

describe('revert', () => {
  it('restores the prior state exactly, for an update and for a delete', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 2_500);
    await w.sql`update contacts set title = null, company = 'Orig' || id where tenant_id = ${t.id} and id like '%5'`;
    const snapshot = () => w.sql`select id, first_name, last_name, email, company, title, country, owner_id, status, tags, deleted_at from contacts where tenant_id = ${t.id} order by id`;
    const before = await snapshot();

    const upd = await create(t.key, { entity: 'contacts', action: 'update', target: { filter: { field: 'id', op: 'starts_with', value: 'c-' } }, payload: { fields: { title: 'T', company: null } } });
    await w.waitStatus(t.key, upd.body.id, ['completed']);
    const tag = await create(t.key, { entity: 'contacts', action: 'untag', target: { filter: { field: 'tags', op: 'has', value: 'seed' } }, payload: { tags: ['seed'] } });
    await w.waitStatus(t.key, tag.body.id, ['completed']);
    const del = await create(t.key, { entity: 'contacts', action: 'delete', target: { filter: { field: 'owner_id', op: 'eq', value: 'owner-3' } } });
    await w.waitStatus(t.key, del.body.id, ['completed']);
    expect(await snapshot()).not.toEqual(before);

    for (const id of [del.body.id, tag.body.id, upd.body.id]) {
      const res = await w.call('POST', `/v1/bulk-actions/${id}/revert`, t.key);
      expect(res.status).toBe(201);
      const revert = (await res.json()) as { id: string; action: string };
      expect(revert.action).toBe('revert');
      await w.waitStatus(t.key, revert.id, ['completed']);
    }
    expect(await snapshot()).toEqual(before);
  }, 120_000);
});

describe('a failing contact', () => {
  it('is retried, then bisected so it fails alone with its reason; errors list it, also as CSV', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 300);
    const fn = `bulk_test_fail_${t.id.replace(/\W/g, '_')}`;
    await w.sql.unsafe(`create function ${fn}() returns trigger language plpgsql as $$ begin
      if new.tenant_id = '${t.id}' and new.id = 'c-0000123' then raise exception 'contact c-0000123 is locked by compliance'; end if;
      return new; end $$`);
    await w.sql.unsafe(`create trigger ${fn} before update on contacts for each row execute function ${fn}()`);
    try {
      const { body } = await create(t.key, { entity: 'contacts', action: 'update', target: { filter: { field: 'country', op: 'eq', value: 'FR' } }, payload: { fields: { title: 'Z' } } });
      const done = await w.waitStatus(t.key, body.id, ['completed_with_errors', 'completed', 'failed'], 60_000);
      expect(done.status).toBe('completed_with_errors');
      expect(await stats(t.key, body.id)).toMatchObject({ succeeded: 299, failed: 1, skipped: 0 });
      const errors = (await (await w.call('GET', `/v1/bulk-actions/${body.id}/errors`, t.key)).json()) as { data: { contact_id: string; reason: string }[] };
      expect(errors.data).toEqual([{ row_no: null, contact_id: 'c-0000123', reason: expect.stringContaining('locked by compliance') }]);
      const csv = await (await w.call('GET', `/bulk-actions/${body.id}/errors?format=csv`, t.key)).text();
      expect(csv.split('\n')[0]).toBe('row_no,contact_id,reason');
      expect(csv).toContain('"c-0000123"');
      const [chunk] = await w.sql<{ attempts: number }[]>`select attempts from bulk_chunks where bulk_action_id = ${body.id} and failed > 0`;
      expect(chunk!.attempts).toBe(5); // first try + 3 retries at 1 s, then the bisecting attempt
    } finally {
      await w.sql.unsafe(`drop trigger ${fn} on contacts; drop function ${fn}()`);
    }
  }, 60_000);
});

describe('rate limit', () => {
  it('holds across two executors sharing the account budget', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 4_000);
    const before = [...w.chunksBy];
    const { body } = await create(t.key, { entity: 'contacts', action: 'tag', target: { filter: { field: 'country', op: 'eq', value: 'FR' } }, payload: { tags: ['rl'] }, rate_limit_per_sec: 400 });
    await w.waitStatus(t.key, body.id, ['completed'], 60_000);
    const [m] = await w.sql<{ n: number; first: Date; last: Date; first_size: number }[]>`
      select sum(size)::int as n, min(applied_at) as first, max(applied_at) as last,
             (select size from bulk_chunks where bulk_action_id = ${body.id} order by applied_at limit 1) as first_size
      from bulk_chunks where bulk_action_id = ${body.id}`;
    // contacts applied after the first chunk, over the time since it
    const measured = (m!.n - m!.first_size) / ((m!.last.getTime() - m!.first.getTime()) / 1000);
    console.log(`rate limit 400/s: measured ${measured.toFixed(1)}/s over ${m!.n} contacts`);
    expect(measured).toBeLessThanOrEqual(400 * 1.1);
    expect(measured).toBeGreaterThan(400 * 0.7);
    const perExecutor = w.chunksBy.map((n, i) => n - (before[i] ?? 0));
    expect(perExecutor.every((n) => n > 0), `chunks per executor ${perExecutor.join(',')}`).toBe(true);
  }, 60_000);
});

describe('CSV upload, logs and scheduling', () => {
  it('takes ids from a CSV upload, keeps input rows, and serves the per-contact log from ClickHouse', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 10);
    const form = new FormData();
    form.set('file', new Blob(['id,note\nc-0000003,a\nnope-1,b\nc-0000001,c\nc-0000002,d\n'], { type: 'text/csv' }), 'ids.csv');
    form.set('request', JSON.stringify({ entity: 'contacts', action: 'assign_owner', payload: { owner_id: 'o-csv' } }));
    const res = await w.app.request('/bulk-actions', { method: 'POST', headers: { authorization: `Bearer ${t.key}` }, body: form });
    expect(res.status).toBe(201);
    const { id, target } = (await res.json()) as { id: string; target: unknown };
    expect(target).toEqual({ csv: { rows: 4, filename: 'ids.csv' } });
    await w.waitStatus(t.key, id, ['completed']);
    expect(await stats(t.key, id)).toMatchObject({ total: 4, succeeded: 3, skipped: 1, failed: 0 });
    const [ledger] = await w.sql<{ results: unknown[] }[]>`select results from bulk_chunks where bulk_action_id = ${id}`;
    expect(ledger!.results).toContainEqual(['nope-1', 'skipped', 'not_found', null, 2]);

    // what the outcomes sink does: crm.outcomes -> ClickHouse outcomes
    const outcomes = await w.readOutcomes(4, 30_000, id);
    const ts = (ms: unknown) => new Date(Number(ms)).toISOString().replace('T', ' ').replace('Z', '');
    await ch.insert({
      table: `${w.cfg.CLICKHOUSE_DATABASE}.outcomes`,
      values: outcomes.map((o) => ({ ...o, received_at: ts(o.received_at), processed_at: ts(o.processed_at) })),
      format: 'JSONEachRow',
    });
    const page1 = (await (await w.call('GET', `/v1/bulk-actions/${id}/logs?limit=3`, t.key)).json()) as { data: { contact_id: string; status: string; reason: string | null }[]; next_after: string };
    expect(page1.data.map((r) => [r.contact_id, r.status])).toEqual([['c-0000001', 'succeeded'], ['c-0000002', 'succeeded'], ['c-0000003', 'succeeded']]);
    const page2 = (await (await w.call('GET', `/bulk-actions/${id}/logs?limit=3&after=${page1.next_after}`, t.key)).json()) as { data: { contact_id: string; reason: string }[]; next_after: null };
    expect(page2).toEqual({ data: [expect.objectContaining({ contact_id: 'nope-1', status: 'skipped', reason: 'not_found' })], next_after: null });
    const verified = (await (await w.call('GET', `/v1/bulk-actions/${id}/stats?verify=clickhouse`, t.key)).json()) as Record<string, unknown>;
    expect(verified).toMatchObject({ succeeded: 3, skipped: 1, clickhouse: { succeeded: 3, skipped: 1 } });
    const other = await w.tenant();
    expect((await w.call('GET', `/v1/bulk-actions/${id}/logs`, other.key)).status).toBe(404);
  });

  it('starts a scheduled action at its time', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 5);
    const at = new Date(Date.now() + 2_000);
    const { body } = await create(t.key, { entity: 'contacts', action: 'tag', target: { ids: ['c-0000001'] }, payload: { tags: ['later'] }, scheduled_at: at.toISOString() });
    expect(body.status).toBe('scheduled');
    await w.waitStatus(t.key, body.id, ['completed'], 30_000);
    const [a] = await w.sql<{ started_at: Date }[]>`select started_at from bulk_actions where id = ${body.id}`;
    expect(a!.started_at.getTime()).toBeGreaterThanOrEqual(at.getTime());
  });
});
